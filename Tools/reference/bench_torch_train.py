#!/usr/bin/env python3
"""Training updates per second of PyTorch on one CPU thread, for comparison with
`gatescope bench --train` (GateCore's TrainingBenchmark): the same model (one recurrent
layer and a linear head), batch, sequence length and update (forward, cross-entropy at
every step, backward through time, clip_grad_norm_ to 1, Adam).

    python3 Tools/reference/bench_torch_train.py                  # the default grid, a table
    python3 Tools/reference/bench_torch_train.py --json           # the JSON of `gatescope bench --train --json`
    python3 Tools/reference/bench_torch_train.py --gatescope FILE # beside that command's JSON output
    python3 Tools/reference/bench_torch_train.py --binary .build/release/gatescope --rounds 3
        # both sides interleaved, size by size (gatescope, then PyTorch, then again), medians:
        # on a shared machine both sides of a row see the same load
    python3 Tools/reference/bench_torch_train.py --cell lstm --hidden 64 --batch 16 --length 32
"""

import argparse
import json
import statistics
import subprocess
import time

import torch

MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


class Model(torch.nn.Module):
    def __init__(self, cell, inputs, hidden, outputs):
        super().__init__()
        self.rnn = MODULES[cell](inputs, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, outputs)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.head(h)


def steps_per_second(cell, inputs, hidden, batch, length, seconds):
    torch.manual_seed(0)
    model = Model(cell, inputs, hidden, inputs)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.nn.functional.one_hot(torch.randint(inputs, (batch, length)), inputs).float()
    y = torch.randint(inputs, (batch * length,))

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, inputs), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(5):
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    return count / (time.perf_counter() - start)


def print_side_by_side(results, ours, kernels, args, how):
    """A Markdown table of both sides' updates per second and their ratio."""
    print(f"gatescope kernels {kernels}; torch {torch.__version__}, 1 thread; "
          f"input {args.inputs}, batch {args.batch}, length {args.length}; {how}")
    print("| cell | H | gatescope updates/s | torch updates/s | gatescope / torch |")
    print("|------|--:|------:|------:|------:|")
    for r in results:
        mine = ours.get((r["cell"], r["hidden"]))
        mine_text = f"{mine:.0f}" if mine is not None else "–"
        ratio = f"{mine / r['updates_per_s']:.2f}×" if mine is not None else "–"
        print(f"| {r['cell']} | {r['hidden']} | {mine_text} | {r['updates_per_s']:.0f} | {ratio} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell", choices=sorted(MODULES), action="append")
    parser.add_argument("--hidden", type=int, action="append")
    parser.add_argument("--inputs", type=int, default=16)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--length", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--json", action="store_true", help="print JSON as `gatescope bench --train --json` does")
    parser.add_argument("--gatescope", metavar="FILE",
                        help="output of `gatescope bench --train --json` to print beside PyTorch's")
    parser.add_argument("--binary", metavar="GATESCOPE",
                        help="run `GATESCOPE bench --train --json` size by size, interleaved with PyTorch")
    parser.add_argument("--rounds", type=int, default=1, help="with --binary: measurements of each side per size")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    torch.set_num_threads(1)
    results, ours, kernels = [], {}, "?"
    for cell in args.cell or ["lstm", "gru", "rnn"]:
        for hidden in args.hidden or [8, 16, 32, 64]:
            rates, mine = [], []
            for _ in range(args.rounds):
                if args.binary:
                    run = subprocess.run([args.binary, "bench", "--train", "--json", "--cell", cell,
                                          "--hidden", str(hidden)], check=True, capture_output=True, text=True)
                    report = json.loads(run.stdout)
                    kernels = report["kernels"]
                    mine.append(report["results"][0]["updates_per_s"])
                rates.append(steps_per_second(cell, args.inputs, hidden, args.batch, args.length, args.seconds))
            if mine:
                ours[(cell, hidden)] = statistics.median(mine)
            results.append({"cell": cell, "hidden": hidden, "input": args.inputs, "batch": args.batch,
                            "length": args.length, "updates_per_s": round(statistics.median(rates), 1),
                            "torch": torch.__version__, "threads": torch.get_num_threads()})
    if args.binary:
        print_side_by_side(results, ours, kernels, args, f"median of {args.rounds} interleaved runs per side")
        return
    if args.json:
        print(json.dumps({"results": results}))
        return
    if args.gatescope:
        with open(args.gatescope) as f:
            report = json.load(f)
        ours = {(r["cell"], r["hidden"]): r["updates_per_s"] for r in report["results"]}
        print_side_by_side(results, ours, report.get("kernels", "?"), args, "gatescope's sizes first, then PyTorch's")
        return
    print(f"torch {torch.__version__}, 1 thread, inputs {args.inputs}, batch {args.batch}, length {args.length}")
    print("cell  hidden  updates/s")
    for r in results:
        print(f"{r['cell']:<4}  {r['hidden']:>6}  {r['updates_per_s']:9.1f}")


if __name__ == "__main__":
    main()
