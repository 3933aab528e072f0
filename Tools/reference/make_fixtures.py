#!/usr/bin/env python3
"""PyTorch reference fixtures for gatescope's Swift tests.

For every case below this script builds a real nn.LSTM / nn.GRU / nn.RNN (seeded, float32),
saves its state_dict as safetensors, runs it on a seeded input sequence and writes the
expected values in the shape of `gatescope trace --format json`. h and c of every layer at
every step come from the module itself; the gates are recomputed from the same weights with
torch ops and the script asserts that they reproduce the module's h and c.

The reset-before GRU has no PyTorch module: its values come from the formula in float64,
cross-checked against keras.layers.GRU(reset_after=False) when Keras is installed.

    python3 Tools/reference/make_fixtures.py              # regenerate everything
    python3 Tools/reference/make_fixtures.py --roundtrip FILE.safetensors
"""

import argparse
import dataclasses
import json
import os
import pathlib
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "reference"

GATES = {
    "lstm": ["input", "forget", "candidate", "output"],
    "gru": ["reset", "update", "candidate"],
    "gru-reset-before": ["reset", "update", "candidate"],
    "rnn": [],
}
BLOCKS = {"lstm": 4, "gru": 3, "gru-reset-before": 3, "rnn": 1}
MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "gru-reset-before": torch.nn.GRU,
           "rnn": torch.nn.RNN}
DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16,
          "BF16": torch.bfloat16}
# Gatescope-written model files (for the round trip) are named with this prefix.
ROUNDTRIP_PREFIX = "gatescope-"


@dataclasses.dataclass
class Case:
    name: str
    cell: str
    input_size: int
    hidden: int
    layers: int
    steps: int
    seed: int
    bias: bool = True
    metadata_cell: bool = True  # False: gatescope must infer the kind from the shapes
    prefix: str = ""            # module path of the recurrent layers in the saved state_dict
    head: int = 0               # output size of a `head` nn.Linear, 0 for none
    vocab: str = ""             # one-hot text model: one input feature per character
    text: str = ""
    dtype: str = "F32"
    input_scale: float = 1.0
    initial_state: bool = False
    load_cell: str = ""         # the kind to pass to ModelFile.load (the --cell override)
    about: str = ""


CASES = [
    Case("lstm_i3_h5_l1", "lstm", 3, 5, 1, 8, seed=1, about="small LSTM"),
    Case("lstm_i4_h8_l2", "lstm", 4, 8, 2, 10, seed=2, metadata_cell=False,
         about="two layers, kind inferred from shapes"),
    Case("lstm_i2_h16_l3", "lstm", 2, 16, 3, 6, seed=3, about="three layers"),
    Case("lstm_i7_h4_l1_nobias", "lstm", 7, 4, 1, 12, seed=4, bias=False,
         about="I > H, T = 12, bias=False"),
    Case("gru_i3_h5_l1", "gru", 3, 5, 1, 8, seed=11, about="small GRU (reset after)"),
    Case("gru_i4_h8_l2_nobias", "gru", 4, 8, 2, 10, seed=12, bias=False,
         about="two layers, bias=False"),
    Case("gru_i2_h16_l3", "gru", 2, 16, 3, 6, seed=13, metadata_cell=False,
         about="three layers, kind inferred from shapes"),
    Case("gru_i6_h3_l1", "gru", 6, 3, 1, 12, seed=14, about="I > H, T = 12"),
    Case("gru_i50_h31_l2", "gru", 50, 31, 2, 4, seed=15,
         about="wide input, 93 x 50 W_ih: larger than one pass of gatescope's input projection"),
    Case("rnn_i3_h5_l1", "rnn", 3, 5, 1, 8, seed=21, about="small Elman RNN"),
    Case("rnn_i4_h8_l2", "rnn", 4, 8, 2, 10, seed=22, metadata_cell=False,
         about="two layers, kind inferred from shapes"),
    Case("rnn_i2_h16_l3_nobias", "rnn", 2, 16, 3, 6, seed=23, bias=False,
         about="three layers, bias=False"),
    Case("rnn_i5_h9_l1", "rnn", 5, 9, 1, 12, seed=24, about="I < H, T = 12"),
    Case("lstm_prefixed_head", "lstm", 3, 6, 2, 8, seed=31, prefix="encoder.lstm", head=2,
         about="whole model's state_dict: encoder.lstm.* and head.*"),
    Case("lstm_f64", "lstm", 3, 5, 1, 8, seed=41, dtype="F64", about="saved as float64"),
    Case("gru_f16", "gru", 4, 6, 2, 8, seed=42, dtype="F16", about="saved as float16"),
    Case("lstm_bf16", "lstm", 4, 6, 1, 8, seed=43, dtype="BF16", about="saved as bfloat16"),
    Case("rnn_bf16", "rnn", 3, 7, 2, 8, seed=44, dtype="BF16", metadata_cell=False,
         about="bfloat16, kind inferred"),
    Case("gru_text_head", "gru", 8, 10, 1, 11, seed=51, prefix="rnn", head=8, vocab="ehlo wrd",
         text="hello world", about="text model: one-hot input over vocab, head"),
    Case("lstm_saturated", "lstm", 4, 6, 1, 10, seed=61, input_scale=20.0,
         about="inputs x20: saturated gates"),
    Case("gru_saturated", "gru", 4, 6, 2, 10, seed=62, input_scale=20.0,
         about="inputs x20: saturated gates"),
    Case("rnn_saturated", "rnn", 4, 6, 1, 10, seed=63, input_scale=20.0,
         about="inputs x20: saturated tanh"),
    Case("lstm_initial_state", "lstm", 3, 5, 2, 6, seed=71, initial_state=True,
         about="non-zero initial h and c"),
    Case("gru_initial_state", "gru", 3, 5, 1, 6, seed=72, initial_state=True,
         about="non-zero initial h"),
    Case("gru_reset_before_i3_h5_l2", "gru-reset-before", 3, 5, 2, 8, seed=81,
         about="Cho 2014 GRU, cell from metadata"),
    Case("gru_reset_before_nobias", "gru-reset-before", 4, 6, 1, 10, seed=82, bias=False,
         metadata_cell=False, load_cell="gru-reset-before",
         about="reset-before GRU without metadata: loaded with the cell override"),
    Case("gru_reset_before_saturated", "gru-reset-before", 4, 6, 1, 10, seed=83,
         input_scale=20.0, about="reset-before GRU, inputs x20"),
]


def f32_list(tensor):
    """Floats written as the shortest decimal that reads back as the same float32."""
    return [float(str(v)) for v in tensor.detach().to(torch.float32).flatten().numpy()]


def layer_weights(module, k):
    """(W_ih, W_hh, b_ih, b_hh) of layer k, biases None for bias=False."""
    get = lambda name: getattr(module, f"{name}_l{k}", None)
    return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")


def cell_step(cell, weights, inp, h, c, activation=torch.tanh):
    """One layer, one step, in the dtype of the weights, with plain torch ops.

    H is read from the row blocks of W_hh, so h may be narrower (an LSTM projection's P);
    `activation` is the Elman RNN's nonlinearity (tanh, or relu for nonlinearity='relu').
    Returns (preactivations in row-block order, gate activations by name, c', h')."""
    w_ih, w_hh, b_ih, b_hh = weights
    H = w_hh.shape[0] // BLOCKS[cell]
    gi = F.linear(inp, w_ih, b_ih)
    if cell == "gru-reset-before":
        # r and z as usual; the candidate's recurrent product waits for r.
        gh_rz = F.linear(h, w_hh[:2 * H], None if b_hh is None else b_hh[:2 * H])
        pre_rz = gi[:2 * H] + gh_rz
        r, z = torch.sigmoid(pre_rz[:H]), torch.sigmoid(pre_rz[H:])
        n_pre = gi[2 * H:] + F.linear(r * h, w_hh[2 * H:], None if b_hh is None else b_hh[2 * H:])
        n = torch.tanh(n_pre)
        h_new = (1 - z) * n + z * h
        return torch.cat([pre_rz, n_pre]), {"reset": r, "update": z, "candidate": n}, None, h_new
    gh = F.linear(h, w_hh, b_hh)
    if cell == "lstm":
        pre = gi + gh
        i, f, o = (torch.sigmoid(pre[j * H:(j + 1) * H]) for j in (0, 1, 3))
        g = torch.tanh(pre[2 * H:3 * H])
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        return pre, {"input": i, "forget": f, "candidate": g, "output": o}, c_new, h_new
    if cell == "gru":
        pre_rz = gi[:2 * H] + gh[:2 * H]
        r, z = torch.sigmoid(pre_rz[:H]), torch.sigmoid(pre_rz[H:])
        n_pre = gi[2 * H:] + r * gh[2 * H:]
        n = torch.tanh(n_pre)
        h_new = (1 - z) * n + z * h
        return torch.cat([pre_rz, n_pre]), {"reset": r, "update": z, "candidate": n}, None, h_new
    pre = gi + gh
    return pre, {}, None, activation(pre)


def module_states(cell, module, x, h0, c0):
    """h (and c) of every layer after every step, from the nn module's own forward.

    The module runs one step at a time carrying its state, which gives every layer's state
    at every step; the last layer's outputs must equal one full-sequence forward."""
    batch = x.unsqueeze(1)
    hx = (h0.unsqueeze(1), c0.unsqueeze(1)) if cell == "lstm" else h0.unsqueeze(1)
    full, _ = module(batch, hx)
    hs, cs, outs = [], [], []
    state = hx
    for t in range(x.shape[0]):
        out, state = module(batch[t:t + 1], state)
        outs.append(out)
        if cell == "lstm":
            hs.append(state[0][:, 0].clone())
            cs.append(state[1][:, 0].clone())
        else:
            hs.append(state[:, 0].clone())
    stepped = torch.cat(outs)
    assert torch.allclose(stepped, full, rtol=0, atol=1e-6), \
        f"stepping the module differs from its full-sequence forward by {(stepped - full).abs().max()}"
    return hs, cs, full[:, 0]


def formula_states(cell, module, x, h0):
    """h of every layer after every step of the reset-before GRU, in float64 (no module has it)."""
    L = module.num_layers
    weights = [tuple(None if w is None else w.detach().double() for w in layer_weights(module, k))
               for k in range(L)]
    h = [h0[k].double() for k in range(L)]
    hs = []
    for t in range(x.shape[0]):
        inp = x[t].double()
        for k in range(L):
            h[k] = cell_step(cell, weights[k], inp, h[k], None)[3]
            inp = h[k]
        hs.append(torch.stack(h))
    return hs


def keras_check(module, x, bias):
    """Max |difference| between the float64 formula and keras.layers.GRU(reset_after=False)
    with the same weights, or None when Keras is not installed."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        return None
    H, L = module.hidden_size, module.num_layers
    inp = x.unsqueeze(0).numpy()
    worst = 0.0
    expected = formula_states("gru-reset-before", module, x, torch.zeros(L, H))
    for k in range(L):
        w_ih, w_hh, b_ih, b_hh = (None if w is None else w.detach() for w in layer_weights(module, k))
        layer = keras.layers.GRU(H, reset_after=False, use_bias=bias, return_sequences=True)
        layer.build(tuple(inp.shape))

        def zrh(rows):
            """PyTorch's r, z, n row blocks in Keras' z, r, h order."""
            return torch.cat([rows[H:2 * H], rows[:H], rows[2 * H:]])

        params = [zrh(w_ih).T.numpy(), zrh(w_hh).T.numpy()]
        if bias:
            # Keras keeps one bias per gate when reset_after=False: b_hn sits outside r ⊙ h
            # in the reset-before candidate, so every PyTorch bias pair simply adds.
            params.append(zrh(b_ih + b_hh).numpy())
        layer.set_weights(params)
        out = torch.as_tensor(keras.ops.convert_to_numpy(layer(inp)))[0]
        want = torch.stack([hs[k] for hs in expected]).float()
        worst = max(worst, (out - want).abs().max().item())
        inp = out.unsqueeze(0).numpy()
    return worst


def describe_check(cell, module, x, bias, worst):
    """What was verified about a case's expected values, for index.json (asserting it)."""
    if cell != "gru-reset-before":
        return f"gates reproduce module states within {worst:.1e}"
    keras_error = keras_check(module, x, bias)
    if keras_error is None:
        return "float64 formula only (keras not installed)"
    assert keras_error < 1e-5, f"keras GRU(reset_after=False) disagrees by {keras_error}"
    return f"float64 formula; keras GRU(reset_after=False) agrees within {keras_error:.1e}"


def trace_json(cell, module, head, x, h0, c0, source):
    """The expected trace, in gatescope's JSON shape, plus `preactivations` (all row blocks in
    PyTorch order, as Trace stores them) and the initial state when it is not zero."""
    L, H = module.num_layers, module.hidden_size
    with torch.no_grad():
        if cell == "gru-reset-before":
            hs, cs = formula_states(cell, module, x, h0), []
            weights = [tuple(None if w is None else w.double() for w in layer_weights(module, k))
                       for k in range(L)]
            last = torch.stack([h[L - 1] for h in hs]).float()
        else:
            hs, cs, last = module_states(cell, module, x, h0, c0)
            weights = [layer_weights(module, k) for k in range(L)]
        ys = head(last) if head is not None else None
        steps = []
        worst = 0.0
        for t in range(x.shape[0]):
            layers = []
            inp = x[t].to(weights[0][0].dtype)
            for k in range(L):
                h_prev = (h0[k] if t == 0 else hs[t - 1][k]).to(inp.dtype)
                c_prev = (c0[k] if t == 0 else cs[t - 1][k]) if cell == "lstm" else None
                pre, gates, c_new, h_new = cell_step(cell, weights[k], inp, h_prev, c_prev)
                # The recomputed gates must give back the module's own states.
                worst = max(worst, (h_new - hs[t][k]).abs().max().item())
                entry = {"gates": {g: f32_list(gates[g]) for g in GATES[cell]}}
                if cell == "lstm":
                    worst = max(worst, (c_new - cs[t][k]).abs().max().item())
                    entry["c"] = f32_list(cs[t][k])
                entry["h"] = f32_list(hs[t][k])
                entry["preactivations"] = f32_list(pre)
                layers.append(entry)
                inp = hs[t][k].to(inp.dtype)
            step = {"t": t, "x": f32_list(x[t]), "layers": layers}
            if ys is not None:
                step["y"] = f32_list(ys[t])
            steps.append(step)
        assert worst < 2e-6, f"recomputed gates miss the module's states by {worst}"
    doc = {"cell": cell, "input_size": module.input_size, "hidden_size": H, "layers": L,
           "source": source}
    if h0.abs().max() > 0:
        doc["initial_h"] = f32_list(h0)
        if cell == "lstm":
            doc["initial_c"] = f32_list(c0)
    doc["steps"] = steps
    return doc, worst


def write_json(path, doc):
    """One step per line, so a regenerated fixture diffs readably."""
    steps = doc.pop("steps")
    head = json.dumps(doc, separators=(",", ":"))[:-1]
    body = ",\n".join(json.dumps(s, separators=(",", ":")) for s in steps)
    path.write_text(f'{head},"steps":[\n{body}\n]}}\n')


def attach(root, dotted, module):
    """Puts `module` at the dotted path inside `root`, creating empty parents."""
    *parents, leaf = dotted.split(".")
    node = root
    for name in parents:
        if not hasattr(node, name):
            node.add_module(name, torch.nn.Module())
        node = getattr(node, name)
    node.add_module(leaf, module)


def sort_metadata(path):
    """save_file writes __metadata__ in hash order, which changes from run to run; sorting
    its keys in place (the header keeps its length) makes the fixtures reproducible."""
    data = bytearray(path.read_bytes())
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    if "__metadata__" not in header:
        return
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(text) <= length, "sorted header grew"
    data[8:8 + length] = text.ljust(length, b" ")
    path.write_bytes(bytes(data))
    with safe_open(str(path), framework="pt") as f:
        assert f.metadata() == header["__metadata__"]


def make_case(case):
    torch.manual_seed(case.seed)
    module = MODULES[case.cell](case.input_size, case.hidden, num_layers=case.layers,
                                bias=case.bias)
    head = torch.nn.Linear(case.hidden, case.head) if case.head else None
    L, H = case.layers, case.hidden
    if case.text:
        x = torch.zeros(len(case.text), len(case.vocab))
        for t, ch in enumerate(case.text):
            x[t, case.vocab.index(ch)] = 1
    else:
        x = torch.randn(case.steps, case.input_size) * case.input_scale
    h0, c0 = torch.zeros(L, H), torch.zeros(L, H)
    if case.initial_state:
        h0, c0 = torch.randn(L, H) * 0.5, torch.randn(L, H)

    whole = torch.nn.Module()
    attach(whole, case.prefix or "rnn", module)
    if head is not None:
        whole.add_module("head", head)
    state = whole.state_dict()
    if not case.prefix:
        state = {k.removeprefix("rnn."): v for k, v in state.items()}
    saved = {k: v.to(DTYPES[case.dtype]).contiguous() for k, v in state.items()}
    # Expected values come from what the file really holds: the weights rounded to its dtype.
    with torch.no_grad():
        for name, param in whole.named_parameters():
            key = name if case.prefix else name.removeprefix("rnn.")
            param.copy_(saved[key].float())
    metadata = {}
    if case.metadata_cell:
        metadata["cell"] = case.cell
    if case.vocab:
        metadata["vocab"] = case.vocab
    path = OUT / f"{case.name}.safetensors"
    save_file(saved, path, metadata=metadata or None)
    sort_metadata(path)

    if case.cell == "gru-reset-before":
        source = "float64 formula (reset before)"
    else:
        source = f"torch.nn.{MODULES[case.cell].__name__}"
    doc, worst = trace_json(case.cell, module, head, x, h0, c0, source)
    check = describe_check(case.cell, module, x, case.bias, worst)
    write_json(OUT / f"{case.name}.json", doc)
    entry = {"name": case.name, "about": case.about, "dtype": case.dtype, "bias": case.bias,
             "check": check}
    if case.load_cell:
        entry["load_cell"] = case.load_cell
    if case.text:
        entry["vocab"] = case.vocab
        entry["text"] = case.text
    return entry


def read_model(path):
    """A safetensors file as (tensors as float32, metadata)."""
    with safe_open(str(path), framework="pt") as f:
        tensors = {k: f.get_tensor(k).float() for k in f.keys()}
        return tensors, f.metadata() or {}


def roundtrip(path, seed=1234, steps=8):
    """Loads a file gatescope wrote into a PyTorch module with strict=True, runs it and writes
    the expected trace beside it (same name, .json)."""
    path = pathlib.Path(path)
    tensors, metadata = read_model(path)
    head_state = {k.removeprefix("head."): v for k, v in tensors.items() if k.startswith("head.")}
    rnn_state = {k: v for k, v in tensors.items() if not k.startswith("head.")}
    rows, input_size = rnn_state["weight_ih_l0"].shape
    hidden = rnn_state["weight_hh_l0"].shape[1]
    cell = metadata.get("cell") or {4: "lstm", 3: "gru", 1: "rnn"}[rows // hidden]
    layers = sum(1 for k in rnn_state if k.startswith("weight_ih_l"))
    bias = "bias_ih_l0" in rnn_state
    module = MODULES[cell](input_size, hidden, num_layers=layers, bias=bias)
    module.load_state_dict(rnn_state, strict=True)
    head = None
    if head_state:
        out_size = head_state["weight"].shape[0]
        head = torch.nn.Linear(hidden, out_size, bias="bias" in head_state)
        head.load_state_dict(head_state, strict=True)
    torch.manual_seed(seed)
    if "vocab" in metadata:
        vocab = metadata["vocab"]
        picks = torch.randint(len(vocab), (steps,))
        x = F.one_hot(picks, len(vocab)).float()
    else:
        x = torch.randn(steps, input_size)
    zeros = torch.zeros(layers, hidden)
    source = f"gatescope-written file loaded with load_state_dict(strict=True) into " \
             f"torch.nn.{MODULES[cell].__name__}" + (" (float64 formula)" if cell == "gru-reset-before" else "")
    doc, worst = trace_json(cell, module, head, x, zeros, zeros, source)
    write_json(path.with_suffix(".json"), doc)
    entry = {"name": path.stem, "about": "round trip: written by gatescope, run by PyTorch",
             "dtype": "F32", "bias": bias,
             "check": "load_state_dict(strict=True); " + describe_check(cell, module, x, bias, worst)}
    if "vocab" in metadata:
        entry["vocab"] = metadata["vocab"]
    return entry


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--roundtrip", metavar="FILE",
                        help="run a gatescope-written model in PyTorch and write FILE's .json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.roundtrip:
        print(json.dumps(roundtrip(args.roundtrip)))
        return
    entries = [make_case(case) for case in CASES]
    for path in sorted(OUT.glob(f"{ROUNDTRIP_PREFIX}*.safetensors")):
        entries.append(roundtrip(path))
    for entry in entries:
        print(f"{entry['name']:32} {entry['check']}")
    index = {"generated_by": "Tools/reference/make_fixtures.py", "torch": torch.__version__,
             "cases": entries}
    (OUT / "index.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
