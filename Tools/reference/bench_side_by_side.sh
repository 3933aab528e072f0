#!/bin/sh
# gatescope and PyTorch (one thread) on the same sizes, in one run, printed side by side:
# the forward trace (µs per step; PyTorch's fused module and its Cell loop) and, with
# --train, training updates per second (batch 16, length 32).
#
#   swift build -c release
#   Tools/reference/bench_side_by_side.sh            # forward
#   Tools/reference/bench_side_by_side.sh --train    # training
#
# GATESCOPE names the binary (default .build/release/gatescope). Each side is measured
# right after the other, so that both see the same load on a shared machine.
set -eu
here=$(dirname "$0")
gatescope=${GATESCOPE:-.build/release/gatescope}
ours=$(mktemp)
trap 'rm -f "$ours"' EXIT
lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*/CPU: /p' || true
if [ "${1:-}" = "--train" ]; then
    "$gatescope" bench --train --json > "$ours"
    python3 "$here/bench_torch_train.py" --gatescope "$ours"
else
    "$gatescope" bench --json > "$ours"
    python3 "$here/bench_torch.py" --gatescope "$ours"
fi
