#!/usr/bin/env python3
"""Keras models as students save them, for gatescope's Keras tests (Tests/Fixtures/keras/).

Keras 3 on the torch backend (no TensorFlow): KERAS_BACKEND=torch is set here. Each case
builds a small model, gives it random weights (biases included, which Keras would start at
zero), saves it as `.keras`, `.weights.h5` (with its `.keras` beside it) or the legacy
whole-model `.h5`, and writes NAME.json in the format of Tests/Fixtures/models/ (read by
ModelFixtureTests): the pipeline gatescope should find, in the PyTorch names the Keras
loader gives its tensors, and the trace.

How the expected values are made:
- h of every layer at every step is Keras' own output: the layer (a copy with
  return_sequences=True when the model's layer passes on only its last step) run on the
  sequence its input layer produced in the saved model.
- c (LSTM) is Keras' own final state of the layer run on the prefix x[0..t] (forward) or, for
  the reverse direction of a Bidirectional layer, on the suffix x[t..] with go_backwards.
- The gates are recomputed in numpy from the Keras weights with Keras' formulas (kernel
  I × G·H, LSTM blocks i, f, c, o, GRU z, r, h, reset_after as configured), independently
  of gatescope's conversion, and asserted to reproduce Keras' h and c within 2e-6.
- y is the Dense head applied to h at every step; where Keras' model gives an output (every
  step, or the last one), the two are asserted equal.
Refusal cases are files gatescope must refuse with a message naming the feature.

    python3 Tools/reference/make_keras_fixtures.py      # rewrites Tests/Fixtures/keras/
"""

import json
import os
import pathlib
import shutil
import sys

os.environ["KERAS_BACKEND"] = "torch"

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_fixtures import write_json  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "keras"
STEPS = 5
TOLERANCE = 2e-6
L = keras.layers


def f32(values):
    """Floats written as the shortest decimal that reads back as the same float32."""
    return [float(str(v)) for v in np.asarray(values, dtype=np.float32).ravel()]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def keras_step(kind, config, weights, x, h, c):
    """One step of a Keras cell with its own weight layout and formulas, in float64."""
    kernel, recurrent = weights[0].astype(np.float64), weights[1].astype(np.float64)
    bias = weights[2].astype(np.float64) if len(weights) > 2 else None
    units = recurrent.shape[0]
    block = lambda m, k: m[..., k * units:(k + 1) * units]
    if kind == "LSTM":
        z = x @ kernel + h @ recurrent + (bias if bias is not None else 0)
        i, f, g, o = sigmoid(block(z, 0)), sigmoid(block(z, 1)), np.tanh(block(z, 2)), sigmoid(block(z, 3))
        c = f * c + i * g
        h = o * np.tanh(c)
        return h, c, {"input": i, "forget": f, "candidate": g, "output": o}
    if kind == "GRU":
        if config.get("reset_after", True):
            mx = x @ kernel + (bias[0] if bias is not None else 0)
            mh = h @ recurrent + (bias[1] if bias is not None else 0)
            z = sigmoid(block(mx, 0) + block(mh, 0))
            r = sigmoid(block(mx, 1) + block(mh, 1))
            n = np.tanh(block(mx, 2) + r * block(mh, 2))
        else:
            mx = x @ kernel + (bias if bias is not None else 0)
            z = sigmoid(block(mx, 0) + h @ block(recurrent, 0))
            r = sigmoid(block(mx, 1) + h @ block(recurrent, 1))
            n = np.tanh(block(mx, 2) + (r * h) @ block(recurrent, 2))
        h = z * h + (1 - z) * n
        return h, None, {"reset": r, "update": z, "candidate": n}
    pre = x @ kernel + h @ recurrent + (bias if bias is not None else 0)
    h = np.maximum(pre, 0) if config.get("activation") == "relu" else np.tanh(pre)
    return h, None, {}


def run_layer(layer, config, sequence):
    """Keras' per-step h (T × D·H), and c per direction (LSTM) from prefix / suffix runs."""
    if layer.return_sequences:
        hs = keras.ops.convert_to_numpy(layer(sequence))[0]
    else:
        copy = layer.__class__.from_config(dict(config, return_sequences=True, return_state=False))
        copy(sequence)
        copy.set_weights(layer.get_weights())
        hs = keras.ops.convert_to_numpy(copy(sequence))[0]
    cells = []
    inner = [layer.forward_layer, layer.backward_layer] if isinstance(layer, L.Bidirectional) else [layer]
    for direction, rnn in enumerate(inner):
        if not isinstance(rnn, L.LSTM):
            cells.append(None)
            continue
        cfg = dict(rnn.get_config(), return_sequences=False, return_state=True, go_backwards=direction == 1)
        stepper = L.LSTM.from_config(cfg)
        stepper(sequence)
        stepper.set_weights(rnn.get_weights())
        per_step = []
        for t in range(STEPS):
            part = sequence[:, : t + 1] if direction == 0 else sequence[:, t:]
            _, _, c = stepper(part)
            per_step.append(keras.ops.convert_to_numpy(c)[0])
        cells.append(np.array(per_step))
    return hs, cells


def recompute(layer, sequence, keras_h, keras_c, name):
    """The gates stepped in numpy from the Keras weights; asserts they give Keras' h and c."""
    inner = [layer.forward_layer, layer.backward_layer] if isinstance(layer, L.Bidirectional) else [layer]
    x = np.asarray(keras.ops.convert_to_numpy(sequence)[0], dtype=np.float64)
    out = [[None] * len(inner) for _ in range(STEPS)]
    for direction, rnn in enumerate(inner):
        kind = rnn.__class__.__name__
        weights = rnn.get_weights()
        units = weights[1].shape[0]
        h, c = np.zeros(units), np.zeros(units)
        order = range(STEPS) if direction == 0 else reversed(range(STEPS))
        for t in order:
            h, c_new, gates = keras_step(kind, rnn.get_config(), weights, x[t], h, c)
            c = c_new if c_new is not None else c
            expected_h = keras_h[t, direction * units:(direction + 1) * units]
            assert np.abs(h - expected_h).max() < TOLERANCE, (name, t, direction, np.abs(h - expected_h).max())
            if keras_c[direction] is not None:
                assert np.abs(c - keras_c[direction][t]).max() < TOLERANCE, (name, t, direction, "c")
            entry = {"gates": {k: f32(v) for k, v in gates.items()}, "h": f32(expected_h)}
            if keras_c[direction] is not None:
                entry["c"] = f32(keras_c[direction][t])
            out[t][direction] = entry
    return out


def randomize(model, rng):
    for layer in model.layers:
        layer.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in layer.get_weights()])


def describe(layer):
    rnn = layer.forward_layer if isinstance(layer, L.Bidirectional) else layer
    kind = rnn.__class__.__name__
    cell = {"LSTM": "lstm", "SimpleRNN": "rnn"}.get(kind) or ("gru" if rnn.get_config()["reset_after"] else "gru-reset-before")
    weights = rnn.get_weights()
    return {"cell": cell, "input_size": int(weights[0].shape[0]), "hidden_size": int(weights[1].shape[0]),
            "bidirectional": isinstance(layer, L.Bidirectional), "proj_size": 0}


def fixture(name, about, build, save, tokens=None, vocab=None, seed=0):
    rng = np.random.default_rng(seed)
    model = build()
    randomize(model, rng)
    file = save(model, name)
    if tokens is not None:
        inputs = np.array([tokens], dtype="int32")
    else:
        inputs = rng.uniform(-1, 1, (1, STEPS, model.inputs[0].shape[-1])).astype(np.float32)
    doc = {"file": file, "about": about, "format": "keras", "expect": "opens", "open_flags": [], "unused": []}
    sequence = keras.ops.convert_to_tensor(inputs)
    xs = None
    steps_layers = [[] for _ in range(STEPS)]
    stack, head = [], None
    for layer in model.layers:
        if isinstance(layer, L.Embedding):
            sequence = layer(sequence)
            doc["embedding"] = {"vocab_size": layer.input_dim, "dim": layer.output_dim, "weight": f"{layer.name}.weight"}
            doc["tokens"] = tokens
            continue
        if isinstance(layer, L.Dense):
            head = layer
            continue
        if xs is None:
            xs = keras.ops.convert_to_numpy(sequence)[0]
        hs, cs = run_layer(layer, layer.get_config(), sequence)
        per_step = recompute(layer, sequence, hs, cs, f"{name}/{layer.name}")
        for t in range(STEPS):
            forward, *reverse = per_step[t]
            if reverse:
                forward["reverse"] = reverse[0]
            steps_layers[t].append(forward)
        stack.append(describe(layer))
        sequence = keras.ops.convert_to_tensor(hs[None])
    doc["cell"] = stack[0]["cell"]
    doc["stack"] = stack
    ys = None
    if head is not None:
        kernel, bias = head.get_weights()
        ys = keras.ops.convert_to_numpy(sequence)[0].astype(np.float64) @ kernel + bias
        doc["head"] = {"weight": f"{head.name}.weight", "bias": f"{head.name}.bias",
                       "input_size": int(kernel.shape[0]), "output_size": int(kernel.shape[1])}
        out = keras.ops.convert_to_numpy(model(keras.ops.convert_to_tensor(inputs)))[0]
        mine = ys if out.ndim == 2 else ys[-1]
        assert np.abs(out - mine).max() < TOLERANCE, (name, "y")
    doc["steps"] = []
    for t in range(STEPS):
        step = {"t": t, "x": f32(xs[t]), "layers": steps_layers[t]}
        if tokens is not None:
            step["token"] = tokens[t]
        if ys is not None:
            step["y"] = f32(ys[t])
        doc["steps"].append(step)
    write_json(OUT / f"{name}.json", doc)
    return {"name": name, "file": file, "format": "keras", "about": about, "expect": "opens"}


def save_keras(model, name):
    model.save(OUT / f"{name}.keras")
    return f"{name}.keras"


def save_weights(model, name):
    # The architecture beside the weights, as a student keeps it: NAME.keras and NAME.weights.h5.
    model.save(OUT / f"{name}.keras")
    model.save_weights(OUT / f"{name}.weights.h5")
    return f"{name}.weights.h5"


def save_legacy(model, name):
    model.save(OUT / f"{name}.h5")
    return f"{name}.h5"


def sequential(*layers, features=3, tokens=False):
    head = keras.Input((STEPS,), dtype="int32") if tokens else keras.Input((STEPS, features))
    return keras.Sequential([head, *layers])


def refusal(name, about, build, save=save_keras):
    model = build()
    file = save(model, name)
    return {"name": name, "file": file, "format": "keras", "about": about, "expect": "refused"}


def latest(source, target):
    """Copies an HDF5 file (groups, datasets, attributes) into one written with libver="latest"."""
    import h5py
    with h5py.File(source, "r") as old, h5py.File(target, "w", libver="latest") as new:
        for key, value in old.attrs.items():
            new.attrs[key] = value
        for key in old:
            old.copy(old[key], new, name=key)
    with open(target, "rb") as check:
        assert check.read(9)[8] == 3, "superblock version"


def main():
    keras.utils.set_random_seed(0)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    tagger_tokens = [1, 4, 0, 7, 2]
    cases = [
        fixture("lstm", "Sequential LSTM(4) on 3 features, every step returned; .keras",
                lambda: sequential(L.LSTM(4, return_sequences=True)), save_keras, seed=1),
        fixture("gru_reset_after", "GRU(4, reset_after=True), two bias rows as PyTorch; .keras",
                lambda: sequential(L.GRU(4, return_sequences=True)), save_keras, seed=2),
        fixture("gru_reset_before", "GRU(4, reset_after=False), one bias row: the reset gate before the product; .keras",
                lambda: sequential(L.GRU(4, reset_after=False, return_sequences=True)), save_keras, seed=3),
        fixture("simple_rnn", "SimpleRNN(4), last step only (return_sequences=False); .keras",
                lambda: sequential(L.SimpleRNN(4)), save_keras, seed=4),
        fixture("bilstm", "Bidirectional(LSTM(3), concat) on 3 features; .keras",
                lambda: sequential(L.Bidirectional(L.LSTM(3, return_sequences=True))), save_keras, seed=5),
        fixture("tagger", "Embedding(8,3) -> LSTM(4) -> Dense(2) at every step; .weights.h5 with tagger.keras beside it",
                lambda: sequential(L.Embedding(8, 3), L.LSTM(4, return_sequences=True), L.Dense(2), tokens=True),
                save_weights, tokens=tagger_tokens, seed=6),
        fixture("stack", "LSTM(4) -> GRU(3, reset_after=False) -> Dense(2) on the last step; .keras",
                lambda: sequential(L.LSTM(4, return_sequences=True), L.GRU(3, reset_after=False), L.Dense(2)),
                save_keras, seed=7),
        fixture("stack_legacy", "LSTM(4) -> SimpleRNN(3, relu) -> Dense(2); legacy whole-model .h5 (model_config)",
                lambda: sequential(L.LSTM(4, return_sequences=True), L.SimpleRNN(3, activation="relu", return_sequences=True),
                                   L.Dense(2)), save_legacy, seed=8),
        fixture("bigru_legacy", "Bidirectional(GRU(3)) -> Dense(2); legacy whole-model .h5",
                lambda: sequential(L.Bidirectional(L.GRU(3, return_sequences=True)), L.Dense(2)), save_legacy, seed=9),
        refusal("hard_sigmoid", "LSTM(recurrent_activation='hard_sigmoid'), Keras 2's default",
                lambda: sequential(L.LSTM(3, recurrent_activation="hard_sigmoid"))),
        refusal("layer_between", "LSTM -> LayerNormalization -> LSTM: a layer gatescope does not run",
                lambda: sequential(L.LSTM(3, return_sequences=True), L.LayerNormalization(), L.LSTM(3))),
        refusal("merge_sum", "Bidirectional(merge_mode='sum')",
                lambda: sequential(L.Bidirectional(L.GRU(3), merge_mode="sum"))),
        refusal("mask_zero", "Embedding(mask_zero=True): Keras skips the steps of token 0",
                lambda: sequential(L.Embedding(5, 3, mask_zero=True), L.LSTM(3), tokens=True)),
    ]
    # The same whole-model file rewritten by h5py with libver="latest": superblock 3, object
    # headers 2 (OHDR), groups as link messages, as newer HDF5 writers leave them.
    latest(OUT / "stack_legacy.h5", OUT / "stack_latest.h5")
    doc = json.loads((OUT / "stack_legacy.json").read_text())
    doc["file"] = "stack_latest.h5"
    doc["about"] = "stack_legacy.h5 rewritten with h5py libver='latest' (superblock 3, OHDR headers, link messages)"
    write_json(OUT / "stack_latest.json", doc)
    cases.append({"name": "stack_latest", "file": "stack_latest.h5", "format": "keras", "about": doc["about"],
                  "expect": "opens"})
    # (A case's NAME.json must not sit beside a NAME.weights.h5: it would be read as its architecture.)
    # Weights alone, with no architecture beside them: the tagger's, whose layers the shapes
    # settle (embedding, one LSTM, Dense), and two LSTMs of one width, which chain either way.
    shutil.copy(OUT / "tagger.weights.h5", OUT / "inferred.weights.h5")
    doc = json.loads((OUT / "tagger.json").read_text())
    doc["file"] = "inferred.weights.h5"
    doc["about"] = "the tagger's .weights.h5 with no architecture beside it: layers inferred from the shapes"
    write_json(OUT / "inferred_weights.json", doc)
    cases.append({"name": "inferred_weights", "file": "inferred.weights.h5", "format": "keras", "about": doc["about"],
                  "expect": "opens"})
    twins = sequential(L.LSTM(4, return_sequences=True), L.LSTM(4, return_sequences=True), features=4)
    twins.save_weights(OUT / "ambiguous.weights.h5")
    cases.append({"name": "ambiguous_weights", "file": "ambiguous.weights.h5", "format": "keras",
                  "about": "two LSTM(4) on 4 features, weights alone: their order is not in the shapes", "expect": "refused"})
    for case in cases:
        if case["expect"] == "refused":
            (OUT / f"{case['name']}.json").write_text(json.dumps(
                {"file": case["file"], "about": case["about"], "expect": "refused", "steps": []}) + "\n")
    index = {"generated_by": "Tools/reference/make_keras_fixtures.py", "keras": keras.__version__, "cases": cases}
    (OUT / "index.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main()
