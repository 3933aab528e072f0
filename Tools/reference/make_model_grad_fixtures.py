#!/usr/bin/env python3
"""Gradient fixtures for pipelines (embedding, bidirectional layers, LSTM projections,
hybrid stacks), from PyTorch autograd, in the format of make_grad_fixtures.py.

Each case builds the real modules (nn.Embedding, nn.LSTM / nn.GRU with their options,
nn.Linear) in float32 with PyTorch's own initialisation and evaluates them in float64. The
script steps every layer direction with torch ops so that the gradient reaching each h_t
and c_t can be read, and checks that this stepped forward, its loss and all its gradients
are those of the nn modules' own forward (within 1e-12).

Writes Tests/Fixtures/model_gradients/<case>.json (see Tools/reference/README.md).

Usage: python3 Tools/reference/make_model_grad_fixtures.py   (from anywhere)
"""
import dataclasses
import math
import pathlib
from typing import Optional

import torch
import torch.nn as nn

from make_grad_fixtures import cell_step, expected, flat, loss_of, write_fixture

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "model_gradients"
KINDS = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn"}
MODULES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@dataclasses.dataclass
class Layer:
    """One recurrent module of the pipeline: kind, sizes and options (num_layers layers)."""
    cell: str
    hidden: int
    num_layers: int = 1
    bidirectional: bool = False
    proj_size: int = 0
    bias: bool = True


@dataclasses.dataclass
class Case:
    name: str
    about: str
    input_size: int                 # the first layer's input (the embedding's dim)
    modules: list                   # Layer, in data-flow order
    steps: int
    head: Optional[int]             # head outputs, None for no head
    loss: Optional[str]             # ce | mse (with a head)
    vocab: int = 0                  # embedding rows; 0: numeric inputs
    head_bias: bool = True
    with_state: bool = False        # nonzero initial h (and c)


CASES = [
    Case("embedding_lstm_ce", "Embedding(9,3) -> LSTM(3,5) -> head(5->4), cross-entropy; "
         "tokens repeat, so rows gather the gradients of several steps", 3,
         [Layer("lstm", 5)], 8, 4, "ce", vocab=9),
    Case("bilstm_l2_ce", "bidirectional LSTM(3,4), 2 layers -> head(8->3), cross-entropy", 3,
         [Layer("lstm", 4, num_layers=2, bidirectional=True)], 6, 3, "ce"),
    Case("bigru_mse_state", "bidirectional GRU(4,5) -> head(10->2, no bias), mse, nonzero "
         "initial h in both directions", 4, [Layer("gru", 5, bidirectional=True)], 7, 2, "mse",
         head_bias=False, with_state=True),
    Case("lstm_proj_l2_mse_state", "LSTM(3,6, proj_size=2), 2 layers -> head(2->3), mse, "
         "nonzero initial h (projected, 2 wide) and c (6 wide)", 3,
         [Layer("lstm", 6, num_layers=2, proj_size=2)], 6, 3, "mse", with_state=True),
    Case("hybrid_gru_lstm_ce", "hybrid GRU(3,5) -> LSTM(5,4) -> head(4->3), cross-entropy, "
         "nonzero initial state", 3, [Layer("gru", 5), Layer("lstm", 4)], 7, 3, "ce",
         with_state=True),
    Case("embedding_bigru_lstm_proj_ce", "Embedding(8,3) -> bidirectional GRU(3,4) -> "
         "LSTM(8,5, proj_size=3, bias=False) -> head(3->2), cross-entropy", 3,
         [Layer("gru", 4, bidirectional=True), Layer("lstm", 5, proj_size=3, bias=False)],
         6, 2, "ce", vocab=8),
    Case("hybrid_lstm_rnn_nohead", "hybrid LSTM(2,4) -> RNN(4,3), no head: sensitivities only",
         2, [Layer("lstm", 4), Layer("rnn", 3)], 6, None, None, with_state=True),
]


def build(case):
    """The nn modules (float32 initialisation, then float64) and the pipeline's layers: one
    (module, k, input width) per layer, in order."""
    embedding = nn.Embedding(case.vocab, case.input_size) if case.vocab else None
    modules, layers, width = [], [], case.input_size
    for spec in case.modules:
        kwargs = dict(num_layers=spec.num_layers, bias=spec.bias, bidirectional=spec.bidirectional)
        if spec.proj_size:
            kwargs["proj_size"] = spec.proj_size
        module = MODULES[spec.cell](width, spec.hidden, **kwargs)
        modules.append(module)
        for k in range(spec.num_layers):
            layers.append((module, k, width))
            width = (spec.proj_size or spec.hidden) * (2 if spec.bidirectional else 1)
    head = nn.Linear(width, case.head, bias=case.head_bias) if case.head else None
    as64 = lambda m: None if m is None else m.double()
    return as64(embedding), [m.double() for m in modules], layers, as64(head), width


def directions(module):
    return ["", "_reverse"] if module.bidirectional else [""]


def out_width(module):
    return getattr(module, "proj_size", 0) or module.hidden_size


def pipeline_weights(layers):
    """Pipeline name (weight_ih_l{p}[_reverse], p the layer's position in the whole stack)
    → the module's parameter."""
    names = {}
    for p, (module, k, _) in enumerate(layers):
        for suffix in directions(module):
            for base in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"):
                param = getattr(module, f"{base}_l{k}{suffix}", None)
                if param is not None:
                    names[f"{base}_l{p}{suffix}"] = param
    return names


def stepped_forward(layers, xs, h0, c0):
    """Every layer direction stepped with torch ops, layer after layer (a reverse pass needs
    the whole input sequence). Returns the top output sequence and, per column (layer
    direction, in order), the h and c tensor of every step, each retaining its gradient."""
    T = xs.shape[0]
    inp = xs
    hs_cols, cs_cols = [], []
    column = 0
    for module, k, _ in layers:
        kind = KINDS[type(module)]
        outs = []
        for suffix in directions(module):
            p = lambda name: getattr(module, f"{name}_l{k}{suffix}", None)
            h, c = h0[column], c0[column]
            hs, cs = [None] * T, [None] * T
            for t in (reversed(range(T)) if suffix else range(T)):
                h, c = cell_step(kind, inp[t], h, c, p("weight_ih"), p("weight_hh"),
                                 p("bias_ih"), p("bias_hh"))
                if p("weight_hr") is not None:
                    h = h @ p("weight_hr").T
                h.retain_grad()
                if c is not None:
                    c.retain_grad()
                hs[t], cs[t] = h, c
            hs_cols.append(hs)
            cs_cols.append(cs)
            outs.append(torch.stack(hs))
            column += 1
        inp = torch.cat(outs, dim=1)
    return inp, hs_cols, cs_cols


def initial_state(layers, with_state):
    """h0 and c0 per column (zeros unless with_state): h is the layer's output width, c its
    hidden size (LSTM only; None otherwise)."""
    h0, c0 = [], []
    for module, _, _ in layers:
        for _ in directions(module):
            h0.append((torch.randn(out_width(module)) * 0.5).double() if with_state
                      else torch.zeros(out_width(module), dtype=torch.float64))
            if isinstance(module, nn.LSTM):
                c0.append((torch.randn(module.hidden_size) * 0.5).double() if with_state
                          else torch.zeros(module.hidden_size, dtype=torch.float64))
            else:
                c0.append(None)
    return h0, c0


def norms(columns, T):
    """‖∂L/∂state‖ per step and column (0 where there is none, e.g. c of a GRU)."""
    return [[0.0 if col[t] is None or col[t].grad is None else float(f"{float(col[t].grad.norm()):.10g}")
             for col in columns] for t in range(T)]


def module_forward(embedding, modules, layers, head, tokens, xs, h0, c0):
    """The nn modules' own forward (full sequences, PyTorch's state layout)."""
    inp = embedding(tokens) if embedding is not None else xs
    column = 0
    for module in modules:
        D = 2 if module.bidirectional else 1
        n = module.num_layers * D
        hx = torch.stack(h0[column:column + n]).unsqueeze(1)
        if isinstance(module, nn.LSTM):
            hx = (hx, torch.stack(c0[column:column + n]).unsqueeze(1))
        inp = module(inp.unsqueeze(1), hx)[0][:, 0]
        column += n
    return inp, head(inp) if head is not None else None


def make_case(case, seed):
    torch.manual_seed(seed)
    embedding, modules, layers, head, width = build(case)
    T = case.steps
    tokens = torch.randint(case.vocab, (T,)) if case.vocab else None
    if tokens is not None:
        tokens[T // 2] = tokens[1]  # a repeated token: its row sums two steps' gradients
    xs_numeric = None if tokens is not None else torch.randn(T, case.input_size).double()
    h0, c0 = initial_state(layers, case.with_state)
    weights = pipeline_weights(layers)
    targets = None
    if case.head:
        if case.loss == "ce":
            targets = [None if t % 3 == 0 else int(torch.randint(case.head, ())) for t in range(T)]
        else:
            targets = [None if t % 3 == 0 else flat(torch.randn(case.head)) for t in range(T)]

    def leaves():
        """Fresh leaf copies of the inputs (embedding rows or numbers) and initial state."""
        xs = embedding(tokens).detach() if tokens is not None else xs_numeric
        xs = xs.clone().requires_grad_(True)
        hl = [h.clone().requires_grad_(True) for h in h0]
        cl = [None if c is None else c.clone().requires_grad_(True) for c in c0]
        return xs, hl, cl

    stack = [{"cell": KINDS[type(m)], "input_size": w, "hidden_size": m.hidden_size,
              "bidirectional": m.bidirectional, "proj_size": getattr(m, "proj_size", 0)}
             for m, _, w in layers]
    kinds = {entry["cell"] for entry in stack}
    fixture = {
        "name": case.name, "about": case.about,
        "cell": kinds.pop() if len(kinds) == 1 else "hybrid",
        "input_size": case.input_size, "layers": len(layers), "stack": stack,
        "embedding": None if embedding is None else {
            "vocab_size": case.vocab, "dim": case.input_size, "weight": flat(embedding.weight)},
        "tokens": None if tokens is None else [int(v) for v in tokens],
        "weights": {n: flat(w) for n, w in weights.items()},
        "head": None if head is None else {
            "output_size": case.head, "weight": flat(head.weight),
            "bias": flat(head.bias) if head.bias is not None else None},
        "inputs": [flat(x) for x in leaves()[0]],
        "initial_hidden": flat(torch.cat(h0)) if case.with_state else None,
        "initial_cell": flat(torch.cat([c for c in c0 if c is not None]))
        if case.with_state and any(c is not None for c in c0) else None,
        "loss": None if head is None else {"kind": case.loss, "targets": targets},
    }

    if head is not None:
        for m in [embedding, head, *modules]:
            if m is not None:
                m.zero_grad()
        xs, hl, cl = leaves()
        top, hs, cs = stepped_forward(layers, xs, hl, cl)
        loss = loss_of(case.loss, head(top), targets)
        loss.backward()
        grads = {n: w.grad.clone() for n, w in weights.items()}
        grads["head.weight"] = head.weight.grad.clone()
        if head.bias is not None:
            grads["head.bias"] = head.bias.grad.clone()
        grads["inputs"] = xs.grad.clone()
        grads["initial_hidden"] = torch.cat([h.grad for h in hl])
        if any(c is not None for c in cl):
            grads["initial_cell"] = torch.cat([c.grad for c in cl if c is not None])
        if embedding is not None:
            # Row r of the embedding gathers ∂L/∂x_t of every step whose token is r.
            grads["embedding.weight"] = torch.zeros_like(embedding.weight).index_add_(
                0, tokens, xs.grad)
        check_against_modules(embedding, modules, layers, head, tokens, xs.detach(), h0, c0,
                              case.loss, targets, top, loss, grads, weights)
        fixture["expected"] = {
            "loss": loss.item(), "gradients": {n: expected(g) for n, g in grads.items()},
            "flow_hidden": norms(hs, T),
            "flow_cell": norms(cs, T) if "lstm" in {e["cell"] for e in stack} else []}

    sensitivities = []
    column = 0
    for p, (module, _, _) in enumerate(layers):
        for suffix in directions(module):
            entry = {"layer": p, "direction": "reverse" if suffix else "forward"}
            # The pass's last state: step T-1 forward, step 0 for the reverse pass.
            last_t = 0 if suffix else T - 1
            seeds = ["hidden", "cell"] if isinstance(module, nn.LSTM) else ["hidden"]
            for seed_state in seeds:
                xs, hl, cl = leaves()
                _, hs, cs = stepped_forward(layers, xs, hl, cl)
                last = (hs if seed_state == "hidden" else cs)[column][last_t]
                unit = torch.full(last.shape, 1 / math.sqrt(last.shape[0]), dtype=torch.float64)
                (unit * last).sum().backward()
                entry[seed_state] = norms(hs if seed_state == "hidden" else cs, T)
            sensitivities.append(entry)
            column += 1
    fixture["sensitivity"] = sensitivities
    return fixture


def check_against_modules(embedding, modules, layers, head, tokens, xs, h0, c0, loss_kind,
                          targets, top, loss, grads, weights):
    """The stepped forward, its loss and its gradients must be the nn modules' own."""
    for m in [embedding, head, *modules]:
        if m is not None:
            m.zero_grad()
    xs_l = xs.clone().requires_grad_(True)
    hl = [h.clone().requires_grad_(True) for h in h0]
    cl = [None if c is None else c.clone().requires_grad_(True) for c in c0]
    out, y = module_forward(embedding, modules, layers, head, tokens, xs_l, hl, cl)
    assert torch.allclose(out, top, atol=1e-12, rtol=0), "stepped forward differs from the modules"
    reference = loss_of(loss_kind, y, targets)
    assert abs(reference.item() - loss.item()) < 1e-12
    reference.backward()
    for n, w in weights.items():
        assert torch.allclose(w.grad, grads[n], atol=1e-12, rtol=0), n
    assert torch.allclose(head.weight.grad, grads["head.weight"], atol=1e-12, rtol=0)
    assert torch.allclose(torch.cat([h.grad for h in hl]), grads["initial_hidden"], atol=1e-12, rtol=0)
    if embedding is not None:
        assert torch.allclose(embedding.weight.grad, grads["embedding.weight"], atol=1e-12, rtol=0)
    else:
        assert torch.allclose(xs_l.grad, grads["inputs"], atol=1e-12, rtol=0)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for seed, case in enumerate(CASES, start=201):
        write_fixture(OUT / f"{case.name}.json", make_case(case, seed))


if __name__ == "__main__":
    main()
