#!/usr/bin/env python3
"""PyTorch reference fixtures for gatescope's pokes (interventions in a run).

For each case a seeded nn.LSTM / nn.GRU (plus an nn.Linear head) is saved as safetensors,
and the run is recomputed step by step with torch ops (F.linear, torch.sigmoid,
torch.tanh) with the pokes made where they act:

- set_input: x at step t is replaced before anything reads it;
- clamp: the gate's activation of one unit is replaced by the value at the listed steps,
  after its sigmoid and before anything reads it; the pre-activation stays as computed;
- nudge: the gate's b_ih entry of one unit grows by delta, at every step.

The unpoked recomputation is asserted equal to the module's own forward first, so the
step function is PyTorch's; the poked values differ from the unpoked ones (asserted), so
each poke really acts.

    python3 Tools/reference/make_poke_fixtures.py     # rewrites Tests/Fixtures/pokes
"""

import json
import pathlib

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "pokes"

BLOCKS = {"lstm": ["input", "forget", "candidate", "output"], "gru": ["reset", "update", "candidate"]}
MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}

# name, cell, input size, hidden, layers, steps, seed, head size, pokes (0-based t, layer, unit)
CASES = [
    ("lstm_clamp_forget_from", "lstm", 3, 5, 2, 8, 101, 3, [
        {"poke": "clamp", "layer": 0, "gate": "forget", "unit": 2, "value": 0.0, "t_first": 2, "t_last": None},
    ]),
    ("lstm_stacked", "lstm", 3, 5, 2, 8, 102, 3, [
        {"poke": "clamp", "layer": 1, "gate": "input", "unit": 1, "value": 1.0, "t_first": 4, "t_last": 4},
        {"poke": "clamp", "layer": 0, "gate": "output", "unit": 3, "value": 0.25, "t_first": 1, "t_last": 3},
        {"poke": "nudge", "layer": 0, "gate": "forget", "unit": 0, "delta": 0.5},
        {"poke": "set_input", "t": 3, "x": [1.0, -0.5, 0.25]},
    ]),
    ("lstm_nudge_nobias", "lstm", 4, 4, 1, 6, 103, 0, [
        {"poke": "nudge", "layer": 0, "gate": "output", "unit": 1, "delta": -0.5},
        {"poke": "nudge", "layer": 0, "gate": "output", "unit": 1, "delta": -0.5},
    ]),
    ("gru_clamp_update_range", "gru", 3, 5, 1, 8, 111, 2, [
        {"poke": "clamp", "layer": 0, "gate": "update", "unit": 1, "value": 1.0, "t_first": 1, "t_last": 3},
        {"poke": "clamp", "layer": 0, "gate": "reset", "unit": 3, "value": 0.0, "t_first": 4, "t_last": None},
    ]),
    ("gru_stacked", "gru", 3, 6, 2, 8, 112, 3, [
        {"poke": "nudge", "layer": 1, "gate": "reset", "unit": 0, "delta": -0.5},
        {"poke": "clamp", "layer": 0, "gate": "update", "unit": 4, "value": 0.3, "t_first": 5, "t_last": 5},
        {"poke": "set_input", "t": 0, "x": [0.0, 2.0, -1.0]},
    ]),
]
# Which case runs without biases.
NO_BIAS = {"lstm_nudge_nobias"}


def f32_list(tensor):
    """Floats written as the shortest decimal that reads back as the same float32."""
    return [float(str(v)) for v in tensor.detach().to(torch.float32).flatten().numpy()]


def weights(module, k, rows, pokes):
    """(W_ih, W_hh, b_ih, b_hh) of layer k with the layer's nudges added to b_ih."""
    get = lambda name: getattr(module, f"{name}_l{k}", None)
    w_ih, w_hh, b_ih, b_hh = (None if w is None else w.detach().clone() for w in
                              (get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")))
    for poke in pokes:
        if poke["poke"] == "nudge" and poke["layer"] == k:
            if b_ih is None:
                b_ih = torch.zeros(rows)
            H = w_hh.shape[1]
            b_ih[BLOCKS[module_cell(module)].index(poke["gate"]) * H + poke["unit"]] += poke["delta"]
    return w_ih, w_hh, b_ih, b_hh


def module_cell(module):
    return "lstm" if isinstance(module, torch.nn.LSTM) else "gru"


def clamp(activation, gate, k, t, pokes):
    """The gate's activations at step t of layer k with the clamps that cover t made."""
    out = activation.clone()
    for poke in pokes:
        if poke["poke"] == "clamp" and poke["layer"] == k and poke["gate"] == gate:
            last = poke["t_last"] if poke["t_last"] is not None else 1 << 30
            if poke["t_first"] <= t <= last:
                out[poke["unit"]] = poke["value"]
    return out


def run(module, x, pokes):
    """Every layer's pre-activations, gates, c and h at every step, pokes made."""
    cell = module_cell(module)
    L, H = module.num_layers, module.hidden_size
    G = len(BLOCKS[cell])
    layer_weights = [weights(module, k, G * H, pokes) for k in range(L)]
    x = x.clone()
    for poke in pokes:
        if poke["poke"] == "set_input":
            x[poke["t"]] = torch.tensor(poke["x"])
    h = [torch.zeros(H) for _ in range(L)]
    c = [torch.zeros(H) for _ in range(L)]
    steps = []
    for t in range(x.shape[0]):
        inp = x[t]
        layers = []
        for k in range(L):
            w_ih, w_hh, b_ih, b_hh = layer_weights[k]
            gi, gh = F.linear(inp, w_ih, b_ih), F.linear(h[k], w_hh, b_hh)
            if cell == "lstm":
                pre = gi + gh
                i = clamp(torch.sigmoid(pre[:H]), "input", k, t, pokes)
                f = clamp(torch.sigmoid(pre[H:2 * H]), "forget", k, t, pokes)
                g = torch.tanh(pre[2 * H:3 * H])
                o = clamp(torch.sigmoid(pre[3 * H:]), "output", k, t, pokes)
                c[k] = f * c[k] + i * g
                h[k] = o * torch.tanh(c[k])
                gates = {"input": i, "forget": f, "candidate": g, "output": o}
            else:
                pre_rz = gi[:2 * H] + gh[:2 * H]
                r = clamp(torch.sigmoid(pre_rz[:H]), "reset", k, t, pokes)
                z = clamp(torch.sigmoid(pre_rz[H:]), "update", k, t, pokes)
                n_pre = gi[2 * H:] + r * gh[2 * H:]
                n = torch.tanh(n_pre)
                h[k] = (1 - z) * n + z * h[k]
                pre = torch.cat([pre_rz, n_pre])
                gates = {"reset": r, "update": z, "candidate": n}
            layer = {"gates": {name: f32_list(v) for name, v in gates.items()},
                     "preactivations": f32_list(pre), "h": f32_list(h[k])}
            if cell == "lstm":
                layer["c"] = f32_list(c[k])
            layers.append(layer)
            inp = h[k]
        steps.append({"t": t, "x": f32_list(x[t]), "layers": layers, "top": h[-1].clone()})
    return steps


def make_case(name, cell, input_size, hidden, num_layers, T, seed, head_size, pokes):
    torch.manual_seed(seed)
    module = MODULES[cell](input_size, hidden, num_layers, bias=name not in NO_BIAS)
    head = torch.nn.Linear(hidden, head_size) if head_size else None
    x = torch.rand(T, input_size) * 2 - 1
    with torch.no_grad():
        # The step function without pokes is the module's own forward.
        plain = run(module, x, [])
        full, _ = module(x.unsqueeze(1))
        worst = max((s["top"] - full[t, 0]).abs().max().item() for t, s in enumerate(plain))
        assert worst < 2e-6, f"{name}: the recomputation differs from the module by {worst}"
        poked = run(module, x, pokes)
        moved = max((p["top"] - s["top"]).abs().max().item() for p, s in zip(poked, plain))
        assert moved > 1e-3, f"{name}: the pokes change nothing"
        for step in poked:
            top = step.pop("top")
            if head is not None:
                step["y"] = f32_list(head(top))
    tensors = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    if head is not None:
        tensors.update({f"head.{k}": v.detach().contiguous() for k, v in head.state_dict().items()})
    save_file(tensors, OUT / f"{name}.safetensors", metadata={"cell": cell})
    doc = {"cell": cell, "input_size": input_size, "hidden_size": hidden, "layers": num_layers,
           "pokes": pokes, "x": [f32_list(row) for row in x], "steps": poked}
    steps = doc.pop("steps")
    text = json.dumps(doc, separators=(",", ":"))[:-1] + ',"steps":[\n' \
        + ",\n".join(json.dumps(s, separators=(",", ":")) for s in steps) + "\n]}\n"
    (OUT / f"{name}.json").write_text(text)
    return {"name": name, "check": f"unpoked recomputation within {worst:.1e} of the module"}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    index = [make_case(*case) for case in CASES]
    (OUT / "index.json").write_text(json.dumps({"cases": index}, indent=1) + "\n")
    print(f"wrote {len(index)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
