#!/usr/bin/env python3
"""Expected values for gatescope's Adam and gradient clipping, from torch.optim.Adam and
torch.nn.utils.clip_grad_norm_ on one CPU thread, float32.

Each case starts from seeded parameters (three tensors, flattened in order) and applies a
seeded sequence of gradients; the fixture keeps the gradients, the total norm that
clip_grad_norm_ returned (when the case clips) and the parameters after every step.

    python3 Tools/reference/make_adam_fixture.py   # writes Tests/Fixtures/adam/adam.json
"""

import json
import pathlib

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "adam" / "adam.json"
SHAPES = [(4, 3), (4,), (2, 4)]

CASES = [
    # name, lr, betas, eps, max_norm (None: no clipping), gradient scale, steps
    ("defaults", 1e-3, (0.9, 0.999), 1e-8, None, 1.0, 40),
    ("lr_0.01_betas", 1e-2, (0.8, 0.99), 1e-6, None, 0.5, 40),
    ("clipped", 1e-3, (0.9, 0.999), 1e-8, 1.0, 3.0, 40),
    ("clip_not_reached", 1e-3, (0.9, 0.999), 1e-8, 100.0, 1.0, 10),
    ("tiny_gradients", 1e-3, (0.9, 0.999), 1e-8, None, 1e-6, 20),
]


def flat(tensors):
    return [float(v) for t in tensors for v in t.detach().reshape(-1).tolist()]


def run(name, lr, betas, eps, max_norm, scale, steps, generator):
    params = [torch.nn.Parameter(torch.randn(s, generator=generator)) for s in SHAPES]
    initial = flat(params)
    optimizer = torch.optim.Adam(params, lr=lr, betas=betas, eps=eps)
    gradients, norms, after = [], [], []
    for _ in range(steps):
        grads = [torch.randn(s, generator=generator) * scale for s in SHAPES]
        gradients.append(flat(grads))
        for p, g in zip(params, grads):
            p.grad = g.clone()
        if max_norm is not None:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_norm)))
        optimizer.step()
        after.append(flat(params))
    return {"name": name, "lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps,
            "max_norm": max_norm, "initial": initial, "gradients": gradients,
            "total_norms": norms, "parameters": after}


def main():
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(20240611)
    cases = [run(*case, generator) for case in CASES]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
