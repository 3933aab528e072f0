#!/bin/sh
# gatescope and PyTorch (one thread) on the same sizes, in one run, printed side by side:
# the forward trace (µs per step; PyTorch's fused module and its Cell loop) and, with
# --train, training updates per second (batch 16, length 32).
#
#   swift build -c release
#   Tools/reference/bench_side_by_side.sh            # forward
#   Tools/reference/bench_side_by_side.sh --train    # training
#
# GATESCOPE names the binary (default .build/release/gatescope), ROUNDS the training
# measurements per side and size (default 2). Each side is measured right after the
# other, so that both see the same load on a shared machine.
set -eu
here=$(dirname "$0")
gatescope=${GATESCOPE:-.build/release/gatescope}
ours=$(mktemp)
trap 'rm -f "$ours"' EXIT
lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*/CPU: /p' || true
if [ "${1:-}" = "--train" ]; then
    # Size by size, each side twice, alternating: a training measurement takes seconds,
    # long enough for the load of a shared machine to change between the two sides.
    python3 "$here/bench_torch_train.py" --binary "$gatescope" --rounds "${ROUNDS:-2}" --seconds 2
else
    "$gatescope" bench --json > "$ours"
    python3 "$here/bench_torch.py" --gatescope "$ours"
fi
