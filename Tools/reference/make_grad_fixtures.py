#!/usr/bin/env python3
"""Gradient fixtures for gatescope's backpropagation through time, from PyTorch autograd.

Each case builds nn.LSTM / nn.GRU / nn.RNN (and the reset-before GRU, written with torch ops
on an nn.GRU's parameters) in float32 with PyTorch's own initialisation, then evaluates it
in float64: the weights are exactly float32 values, the reference arithmetic is float64.
The script steps every cell with torch ops so that the gradient reaching every layer's h_t
and c_t can be read (nn.LSTM hides the lower layers); for the PyTorch cells it checks that
this stepped forward and its gradients agree with the nn module's own.

Writes Tests/Fixtures/gradients/<case>.json with the weights (PyTorch names and layout,
flat row-major lists), inputs, initial state, loss and targets, and the expected loss,
every gradient, the flow ‖∂L/∂h_t‖ / ‖∂L/∂c_t‖ and the last-state sensitivities.

Usage: python3 Tools/reference/make_grad_fixtures.py   (from the repository root)
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "gradients")

# name, cell, input size, hidden size, layers, bias, head outputs (None: no head),
# head bias, loss, nonzero initial state, steps
CASES = [
    ("lstm_l1_ce", "lstm", 3, 5, 1, True, 4, True, "ce", False, 7),
    ("lstm_l2_mse_state", "lstm", 10, 9, 2, True, 2, True, "mse", True, 6),
    ("lstm_l2_nobias_ce", "lstm", 3, 5, 2, False, 4, False, "ce", False, 5),
    ("lstm_l2_nohead", "lstm", 3, 9, 2, True, None, False, None, True, 8),
    ("gru_l1_ce", "gru", 3, 5, 1, True, 4, True, "ce", False, 7),
    ("gru_l2_mse_state", "gru", 10, 9, 2, True, 2, True, "mse", True, 6),
    ("gru_l1_nobias_mse", "gru", 3, 5, 1, False, 3, False, "mse", False, 5),
    ("gru_l2_nohead", "gru", 3, 9, 2, True, None, False, None, True, 8),
    ("gru-reset-before_l1_ce", "gru-reset-before", 3, 5, 1, True, 4, True, "ce", False, 7),
    ("gru-reset-before_l2_mse_state", "gru-reset-before", 10, 9, 2, True, 2, True, "mse", True, 6),
    ("gru-reset-before_l2_nobias_ce", "gru-reset-before", 3, 5, 2, False, 4, False, "ce", False, 5),
    ("gru-reset-before_l2_nohead", "gru-reset-before", 3, 9, 2, True, None, False, None, True, 8),
    ("rnn_l1_ce", "rnn", 3, 5, 1, True, 4, True, "ce", False, 7),
    ("rnn_l2_mse_state", "rnn", 10, 9, 2, True, 2, True, "mse", True, 6),
    ("rnn_l2_nobias_mse", "rnn", 3, 5, 2, False, 3, False, "mse", False, 5),
    ("rnn_l2_nohead", "rnn", 3, 9, 2, True, None, False, None, True, 8),
]

MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "gru-reset-before": torch.nn.GRU,
           "rnn": torch.nn.RNN}


def cell_step(cell, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of one layer, exactly the equations of SUBJECT.md; returns (h', c').

    H is read from W_hh's row blocks, so h may be an LSTM projection's P-wide state; the
    LSTM's h' is then o ⊙ tanh(c'), before the projection (the caller applies W_hr)."""
    gi = x @ w_ih.T + (b_ih if b_ih is not None else 0)
    H = w_hh.shape[0] // {"lstm": 4, "rnn": 1}.get(cell, 3)
    if cell == "lstm":
        a = gi + h @ w_hh.T + (b_hh if b_hh is not None else 0)
        i, f, g, o = torch.sigmoid(a[:H]), torch.sigmoid(a[H:2 * H]), torch.tanh(a[2 * H:3 * H]), torch.sigmoid(a[3 * H:])
        c_new = f * c + i * g
        return o * torch.tanh(c_new), c_new
    if cell == "rnn":
        return torch.tanh(gi + h @ w_hh.T + (b_hh if b_hh is not None else 0)), None
    bh = b_hh if b_hh is not None else torch.zeros(3 * H, dtype=h.dtype)
    gh_rz = h @ w_hh[:2 * H].T + bh[:2 * H]
    r = torch.sigmoid(gi[:H] + gh_rz[:H])
    z = torch.sigmoid(gi[H:2 * H] + gh_rz[H:])
    if cell == "gru":
        n = torch.tanh(gi[2 * H:] + r * (h @ w_hh[2 * H:].T + bh[2 * H:]))
    else:
        n = torch.tanh(gi[2 * H:] + (r * h) @ w_hh[2 * H:].T + bh[2 * H:])
    return (1 - z) * n + z * h, None


def stepped_forward(cell, module, L, xs, h0, c0):
    """Runs the stack step by step; returns per-step outputs of the top layer and the
    [t][layer] lists of h and c tensors (each retaining its gradient)."""
    T = xs.shape[0]
    h = [h0[k] for k in range(L)]
    c = [c0[k] for k in range(L)] if cell == "lstm" else [None] * L
    hs, cs, top = [], [], []
    for t in range(T):
        inp = xs[t]
        hs_t, cs_t = [], []
        for k in range(L):
            p = lambda name: getattr(module, f"{name}_l{k}", None)
            h[k], c[k] = cell_step(cell, inp, h[k], c[k], p("weight_ih"), p("weight_hh"), p("bias_ih"), p("bias_hh"))
            h[k].retain_grad()
            if c[k] is not None:
                c[k].retain_grad()
            hs_t.append(h[k])
            cs_t.append(c[k])
            inp = h[k]
        hs.append(hs_t)
        cs.append(cs_t)
        top.append(inp)
    return torch.stack(top), hs, cs


def loss_of(kind, y, targets):
    steps = [t for t, target in enumerate(targets) if target is not None]
    if kind == "ce":
        return F.cross_entropy(y[steps], torch.tensor([targets[t] for t in steps]))
    return F.mse_loss(y[steps], torch.tensor([targets[t] for t in steps], dtype=torch.float64))


def flat(tensor):
    """Float32 values (weights, inputs, states) in their shortest decimal, which Swift's
    Float parser reads back exactly."""
    return [float(str(v)) for v in tensor.detach().float().reshape(-1).numpy()]


def expected(tensor):
    """Reference values: ten significant digits, far below the 1e-4 tolerance."""
    return [float(f"{v:.10g}") for v in tensor.detach().reshape(-1).tolist()]


def norms(tensors, T, L):
    return [[0.0 if tensors[t][k] is None or tensors[t][k].grad is None else float(f"{float(tensors[t][k].grad.norm()):.10g}")
             for k in range(L)] for t in range(T)]


def make_case(name, cell, I, H, L, bias, V, head_bias, loss_kind, with_state, T, seed):
    torch.manual_seed(seed)
    module = MODULES[cell](I, H, num_layers=L, bias=bias)
    head = torch.nn.Linear(H, V, bias=head_bias) if V else None
    # Float32 values, float64 arithmetic from here on.
    module = module.double()
    head = head.double() if head else None
    xs = torch.randn(T, I).double()
    h0 = (torch.randn(L, H) * 0.5).double() if with_state else torch.zeros(L, H, dtype=torch.float64)
    c0 = (torch.randn(L, H) * 0.5).double() if with_state else torch.zeros(L, H, dtype=torch.float64)
    targets = None
    if V:
        # Every third step is masked (and step 0), so the mask is exercised.
        if loss_kind == "ce":
            targets = [None if t % 3 == 0 else int(torch.randint(V, ())) for t in range(T)]
        else:
            targets = [None if t % 3 == 0 else flat(torch.randn(V)) for t in range(T)]
    names = [n for n, _ in module.named_parameters()]

    def leaves():
        xs_l = xs.clone().requires_grad_(True)
        h0_l = h0.clone().requires_grad_(True)
        c0_l = c0.clone().requires_grad_(True)
        return xs_l, h0_l, c0_l

    fixture = {
        "name": name, "cell": cell, "input_size": I, "hidden_size": H, "layers": L, "bias": bias,
        "weights": {n: flat(getattr(module, n)) for n in names},
        "head": None if head is None else {
            "output_size": V, "weight": flat(head.weight),
            "bias": flat(head.bias) if head.bias is not None else None},
        "inputs": [flat(x) for x in xs],
        "initial_hidden": flat(h0) if with_state else None,
        "initial_cell": flat(c0) if with_state and cell == "lstm" else None,
        "loss": None if V is None else {"kind": loss_kind, "targets": targets},
    }

    if V:
        module.zero_grad()
        head.zero_grad()
        xs_l, h0_l, c0_l = leaves()
        top, hs, cs = stepped_forward(cell, module, L, xs_l, h0_l, c0_l)
        loss = loss_of(loss_kind, head(top), targets)
        loss.backward()
        grads = {n: getattr(module, n).grad.clone() for n in names}
        grads["head.weight"] = head.weight.grad.clone()
        if head.bias is not None:
            grads["head.bias"] = head.bias.grad.clone()
        grads["inputs"] = xs_l.grad.clone()
        grads["initial_hidden"] = h0_l.grad.clone()
        if cell == "lstm":
            grads["initial_cell"] = c0_l.grad.clone()
        if cell != "gru-reset-before":
            check_against_module(cell, module, head, xs, h0, c0, loss_kind, targets, top, loss, grads, names)
        fixture["expected"] = {
            "loss": loss.item(), "gradients": {n: expected(g) for n, g in grads.items()},
            "flow_hidden": norms(hs, T, L), "flow_cell": norms(cs, T, L) if cell == "lstm" else []}

    unit = torch.full((H,), 1 / math.sqrt(H), dtype=torch.float64)
    sensitivities = []
    for layer in range(L):
        entry = {"layer": layer}
        for seed_state in (["hidden", "cell"] if cell == "lstm" else ["hidden"]):
            xs_l, h0_l, c0_l = leaves()
            _, hs, cs = stepped_forward(cell, module, L, xs_l, h0_l, c0_l)
            last = hs[T - 1][layer] if seed_state == "hidden" else cs[T - 1][layer]
            (unit * last).sum().backward()
            entry[seed_state] = norms(hs if seed_state == "hidden" else cs, T, L)
        sensitivities.append(entry)
    fixture["sensitivity"] = sensitivities
    return fixture


def check_against_module(cell, module, head, xs, h0, c0, loss_kind, targets, top, loss, grads, names):
    """The stepped forward and its gradients must be PyTorch's own."""
    module.zero_grad()
    head.zero_grad()
    xs_l = xs.clone().requires_grad_(True)
    h0_l = h0.clone().requires_grad_(True)
    state = (h0_l, c0.clone().requires_grad_(True)) if cell == "lstm" else h0_l
    out, _ = module(xs_l, state)
    assert torch.allclose(out, top, atol=1e-12, rtol=0), "stepped forward differs from the module"
    reference = loss_of(loss_kind, head(out), targets)
    assert abs(reference.item() - loss.item()) < 1e-12
    reference.backward()
    for n in names:
        assert torch.allclose(getattr(module, n).grad, grads[n], atol=1e-12, rtol=0), n
    assert torch.allclose(xs_l.grad, grads["inputs"], atol=1e-12, rtol=0)


def write_fixture(path, fixture):
    """One case as one line of compact JSON, and a line of report."""
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}  loss={fixture.get('expected', {}).get('loss')}")


def main():
    os.makedirs(OUT, exist_ok=True)
    for seed, case in enumerate(CASES, start=1):
        write_fixture(os.path.join(OUT, f"{case[0]}.json"), make_case(*case, seed=seed))


if __name__ == "__main__":
    main()
