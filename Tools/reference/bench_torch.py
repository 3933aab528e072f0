#!/usr/bin/env python3
"""PyTorch's side of `gatescope bench`: µs per step on one CPU thread, batch 1.

For LSTM, GRU and RNN at H = 8, 32, 128, 512 (input size H) it times the fused
nn.LSTM / nn.GRU / nn.RNN forward over a sequence (which records no gates) and a Python
loop of nn.LSTMCell / nn.GRUCell / nn.RNNCell steps, and prints the JSON shape of
`gatescope bench --json` with extra fields. With --gatescope FILE (that command's output)
it prints both side by side instead.

    python3 Tools/reference/bench_torch.py [--steps 100] [--gatescope bench.json]
"""

import argparse
import json
import statistics
import time

import torch

HIDDEN_SIZES = [8, 32, 128, 512]
CELLS = {"lstm": (torch.nn.LSTM, torch.nn.LSTMCell), "gru": (torch.nn.GRU, torch.nn.GRUCell),
         "rnn": (torch.nn.RNN, torch.nn.RNNCell)}


def median_us_per_step(run, steps, minimum_runs=7, budget=0.3):
    """Median over runs of the time per step, repeating for at least `budget` seconds."""
    run()  # warm-up: first calls allocate and pick kernels
    per_step = []
    start = time.perf_counter()
    while len(per_step) < minimum_runs or time.perf_counter() - start < budget:
        began = time.perf_counter()
        run()
        per_step.append((time.perf_counter() - began) * 1e6 / steps)
    return statistics.median(per_step)


def measure(cell, hidden, steps):
    fused_type, cell_type = CELLS[cell]
    torch.manual_seed(1)
    fused = fused_type(hidden, hidden)
    step = cell_type(hidden, hidden)
    x = torch.rand(steps, 1, hidden) * 2 - 1

    def run_fused():
        fused(x)

    def run_cells():
        h = torch.zeros(1, hidden)
        state = (h, torch.zeros(1, hidden)) if cell == "lstm" else h
        for t in range(steps):
            state = step(x[t], state)

    with torch.inference_mode():
        fused_us = median_us_per_step(run_fused, steps)
        loop_us = median_us_per_step(run_cells, steps)
    return {"cell": cell, "hidden": hidden, "input": hidden, "steps": steps,
            "us_per_step": fused_us, "us_per_step_cell_loop": loop_us,
            "torch": torch.__version__, "threads": torch.get_num_threads()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100, help="steps in the sequence")
    parser.add_argument("--gatescope", metavar="FILE",
                        help="output of `gatescope bench --json` to print beside PyTorch's")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    torch.set_num_threads(1)
    results = [measure(cell, h, args.steps) for cell in CELLS for h in HIDDEN_SIZES]
    if not args.gatescope:
        print(json.dumps({"results": results}))
        return
    with open(args.gatescope) as f:
        report = json.load(f)
    ours = {(r["cell"], r["hidden"]): r["us_per_step"] for r in report["results"]}
    print(f"gatescope kernels {report.get('kernels', '?')}; torch {torch.__version__}, 1 thread; "
          f"{args.steps} steps, batch 1")
    print("| cell | H = I | gatescope trace µs/step | torch fused µs/step | torch Cell loop µs/step "
          "| fused / gatescope | loop / gatescope |")
    print("|------|------:|------:|------:|------:|------:|------:|")
    for r in results:
        mine = ours.get((r["cell"], r["hidden"]))
        mine_text = f"{mine:.2f}" if mine is not None else "–"
        fused = f"{r['us_per_step'] / mine:.2f}×" if mine else "–"
        loop = f"{r['us_per_step_cell_loop'] / mine:.1f}×" if mine else "–"
        print(f"| {r['cell']} | {r['hidden']} | {mine_text} | {r['us_per_step']:.2f} "
              f"| {r['us_per_step_cell_loop']:.2f} | {fused} | {loop} |")


if __name__ == "__main__":
    main()
