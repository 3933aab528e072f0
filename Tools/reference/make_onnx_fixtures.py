#!/usr/bin/env python3
"""ONNX fixtures for gatescope's .onnx reader (issue 13).

Small PyTorch models exported with torch.onnx.export (the TorchScript exporter, dynamo=False,
and once the default dynamo exporter, which needs onnxscript and keeps weights in NAME.onnx.data), a GRU with linear_before_reset=0 written with
onnx.helper (PyTorch has no such cell), and graphs gatescope must refuse. For each model that
opens, NAME.json holds the input and, per step, every layer's gates, h (and c) per direction:

- gates, h and c come from stepping the PyTorch weights one step at a time with plain torch ops
  (make_fixtures.cell_step), and
- onnxruntime runs the .onnx file with every recurrent operator's Y, Y_h (and Y_c) added as
  graph outputs: the stepped h must match Y at every step and the last c must match Y_c,
  within 1e-5, and the model's own output must match, or the script stops.

    python3 Tools/reference/make_onnx_fixtures.py     # rewrites Tests/Fixtures/onnx/
"""

import json
import pathlib

import numpy as np
import onnx
import onnxruntime
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

from make_fixtures import cell_step, f32_list

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "onnx"
TOLERANCE = 1e-5
STEPS = 5
KINDS = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn"}


class Stack(nn.Module):
    """An optional embedding, one nn.LSTM / nn.GRU / nn.RNN, an optional linear head, with a
    batch of one, as torch.onnx.export traces it. `pick` feeds the head one step, as
    classifiers do: "last" is fc(y[:, -1]), "h_n" is fc(h_n[-1]) (batch-first models)."""

    def __init__(self, rnn, embedding=None, head=None, pick=None):
        super().__init__()
        self.embedding, self.rnn, self.head, self.pick = embedding, rnn, head, pick

    def forward(self, x):
        if self.embedding is not None:
            x = self.embedding(x)
        y, state = self.rnn(x)
        if self.pick == "last":
            y = y[:, -1]
        elif self.pick == "h_n":
            y = (state[0] if isinstance(state, tuple) else state)[-1]
        return self.head(y) if self.head is not None else y


def cases():
    torch.manual_seed(13)
    yield "lstm1", "LSTM(3,4), one layer", Stack(nn.LSTM(3, 4))
    yield "lstm2", "LSTM(3,4), two layers", Stack(nn.LSTM(3, 4, num_layers=2))
    yield "gru", "GRU(3,4) (linear_before_reset=1)", Stack(nn.GRU(3, 4))
    yield "rnn", "RNN(3,4) tanh, two layers", Stack(nn.RNN(3, 4, num_layers=2))
    yield "rnn_relu", "RNN(3,4) relu", Stack(nn.RNN(3, 4, nonlinearity="relu"))
    yield "bilstm", "bidirectional LSTM(3,4), two layers", Stack(nn.LSTM(3, 4, num_layers=2, bidirectional=True))
    yield ("embedding_lstm_linear", "Embedding(7,3) → LSTM(3,4) → Linear(4,2)",
           Stack(nn.LSTM(3, 4), embedding=nn.Embedding(7, 3), head=nn.Linear(4, 2)))
    yield ("classifier_last_step", "Embedding(7,3) → LSTM(3,4, batch_first) → Linear(4,2) on y[:, -1]",
           Stack(nn.LSTM(3, 4, batch_first=True), embedding=nn.Embedding(7, 3), head=nn.Linear(4, 2), pick="last"))
    yield ("classifier_final_state", "GRU(3,4, batch_first) → Linear(4,2) on h_n[-1]",
           Stack(nn.GRU(3, 4, batch_first=True), head=nn.Linear(4, 2), pick="h_n"))
    # torch.onnx.export's default (dynamo) exporter keeps the weights in NAME.onnx.data.
    yield ("bigru_dynamo", "bidirectional GRU(3,4), two layers, Linear(8,2), dynamo exporter (external data)",
           Stack(nn.GRU(3, 4, num_layers=2, bidirectional=True), head=nn.Linear(8, 2)))


def pytorch_layers(module):
    """[(cell, [(W_ih, W_hh, b_ih, b_hh, activation) per direction])] of the module's rnn."""
    rnn = module.rnn
    cell = KINDS[type(rnn)]
    activation = torch.relu if getattr(rnn, "nonlinearity", "tanh") == "relu" else torch.tanh
    layers = []
    for k in range(rnn.num_layers):
        directions = []
        for suffix in ([""] + (["_reverse"] if rnn.bidirectional else [])):
            get = lambda name: getattr(rnn, f"{name}_l{k}{suffix}")
            directions.append((get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")))
        layers.append((cell, directions, activation))
    return layers


def step_layers(layers, x):
    """Every layer's h (and c) per direction per step, stepped with torch ops: [k][d] lists."""
    states = []
    inputs = x
    with torch.no_grad():
        for cell, directions, activation in layers:
            per_direction = []
            for d, weights in enumerate(directions):
                H = weights[1].shape[1]
                h, c = torch.zeros(H), torch.zeros(H)
                hs, cs, gates = [None] * len(inputs), [None] * len(inputs), [None] * len(inputs)
                order = range(len(inputs)) if d == 0 else reversed(range(len(inputs)))
                for t in order:
                    _, gates[t], c_new, h = cell_step(cell, weights, inputs[t], h, c, activation)
                    c = c_new if c_new is not None else c
                    hs[t], cs[t] = h, (c_new if cell == "lstm" else None)
                per_direction.append((hs, cs, gates))
            states.append(per_direction)
            inputs = [torch.cat([hs[t] for hs, _, _ in per_direction]) for t in range(len(inputs))]
    return states


def run_onnxruntime(path):
    """onnxruntime's outputs of the file, with every recurrent operator's outputs exposed."""
    model = onnx.load(path)
    recurrent = [node for node in model.graph.node if node.op_type in ("LSTM", "GRU", "RNN")]
    for node in recurrent:
        for name in node.output:
            if name and name not in [o.name for o in model.graph.output]:
                model.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return recurrent, session


def check_against_onnxruntime(name, path, feed, states, expected_output):
    recurrent, session = run_onnxruntime(path)
    names = [o.name for o in session.get_outputs()]
    values = dict(zip(names, session.run(None, feed)))
    worst = 0.0
    for k, (node, per_direction) in enumerate(zip(recurrent, states)):
        y = values[node.output[0]]  # (seq, directions, batch, H)
        for d, (hs, cs, _) in enumerate(per_direction):
            for t, h in enumerate(hs):
                worst = max(worst, float(np.abs(y[t, d, 0] - h.numpy()).max()))
            if cs[0] is not None and len(node.output) > 2 and node.output[2]:
                last = len(cs) - 1 if d == 0 else 0
                worst = max(worst, float(np.abs(values[node.output[2]][d, 0] - cs[last].numpy()).max()))
    if expected_output is not None:
        worst = max(worst, float(np.abs(values[names[0]] - expected_output).max()))
    assert worst <= TOLERANCE, f"{name}: onnxruntime and the stepped PyTorch weights differ by {worst}"
    return worst


def write_case(name, about, layers, states, x, tokens, onnx_file, worst, y=None):
    """NAME.json; `y` (steps × outputs) is the head's output, checked against onnxruntime."""
    steps = []
    for t in range(len(x)):
        layer_docs = []
        for (cell, _, _), per_direction in zip(layers, states):
            docs = [{"gates": {name: f32_list(value) for name, value in gates[t].items()}, "h": f32_list(hs[t]),
                     **({"c": f32_list(cs[t])} if cs[t] is not None else {})}
                    for hs, cs, gates in per_direction]
            layer_docs.append({**docs[0], **({"reverse": docs[1]} if len(docs) > 1 else {})})
        # y of every step, or of the last step alone for a head the graph feeds one step.
        y_t = None if y is None else y[t] if len(y) == len(x) else y[0] if t == len(x) - 1 else None
        steps.append({"t": t, "layers": layer_docs, **({"y": f32_list(torch.as_tensor(y_t))} if y_t is not None else {})})
    doc = {"file": onnx_file, "about": about, "onnxruntime_worst": float(f"{worst:.3g}"),
           "cells": [cell for cell, _, _ in layers], "directions": [len(d) for _, d, _ in layers]}
    if tokens is not None:
        doc["tokens"] = tokens
    else:
        doc["x"] = [f32_list(row) for row in x]
    head = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))[:-1]
    body = ",\n".join(json.dumps(s, separators=(",", ":")) for s in steps)
    (OUT / f"{name}.json").write_text(f'{head},"steps":[\n{body}\n]}}\n')


def export_case(name, about, module):
    module.eval()
    path = OUT / f"{name}.onnx"
    batch_first = module.rnn.batch_first
    if module.embedding is not None:
        tokens = [1, 5, 0, 6, 3]
        example = torch.tensor(tokens).reshape((1, STEPS) if batch_first else (STEPS, 1))
        with torch.no_grad():
            x = module.embedding(example.reshape(STEPS))
    else:
        tokens = None
        example = torch.randn((1, STEPS, module.rnn.input_size) if batch_first else (STEPS, 1, module.rnn.input_size))
        x = example.reshape(STEPS, -1)
    dynamo = name.endswith("_dynamo")  # needs onnxscript
    torch.onnx.export(module, (example,), str(path), dynamo=dynamo, input_names=["x"], output_names=["y"])
    layers = pytorch_layers(module)
    states = step_layers(layers, list(x))
    with torch.no_grad():
        output = module(example).numpy()
    worst = check_against_onnxruntime(name, path, {"x": example.numpy()}, states, output)
    # A head on one step gives the last step's y; gatescope's head gives y at every step.
    y = None if module.head is None else output.reshape(STEPS, -1) if module.pick is None else output.reshape(1, -1)
    write_case(name, about, layers, states, x, tokens, path.name, worst, y)


# ---------------------------------------------------------------------------------------
# Graphs written with onnx.helper: what torch.onnx.export cannot write.

def reorder(matrix, order, H):
    """Row blocks of H rows taken in `order`."""
    return torch.cat([matrix[j * H:(j + 1) * H] for j in order])


def gru_graph(gru, linear_before_reset, extra=None, initial_h=None, activations=None):
    """A one-layer GRU graph from an nn.GRU's weights, PyTorch's r,z,n rows reordered to
    ONNX's z,r,h; `extra` adds attributes, `initial_h` an initializer for the state."""
    H = gru.hidden_size
    to_onnx = [1, 0, 2]
    W = reorder(gru.weight_ih_l0.detach(), to_onnx, H)[None]
    R = reorder(gru.weight_hh_l0.detach(), to_onnx, H)[None]
    B = torch.cat([reorder(gru.bias_ih_l0.detach(), to_onnx, H), reorder(gru.bias_hh_l0.detach(), to_onnx, H)])[None]
    initializers = [numpy_helper.from_array(t.numpy(), n) for t, n in ((W, "W"), (R, "R"), (B, "B"))]
    inputs = ["x", "W", "R", "B", ""]
    if initial_h is not None:
        initializers.append(numpy_helper.from_array(initial_h.numpy().reshape(1, 1, H), "initial_h"))
        inputs.append("initial_h")
    attributes = {"hidden_size": H, "linear_before_reset": linear_before_reset, **(extra or {})}
    if activations:
        attributes["activations"] = activations
    node = helper.make_node("GRU", inputs, ["Y", "Y_h"], **attributes)
    graph = helper.make_graph([node], "gru", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [STEPS, 1, gru.input_size])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [STEPS, 1, 1, H])], initializer=initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


def write_gru_reset_before():
    """linear_before_reset=0, with zero initial state given as an initializer."""
    torch.manual_seed(14)
    gru = nn.GRU(3, 4)
    model = gru_graph(gru, 0, initial_h=torch.zeros(4))
    path = OUT / "gru_reset_before.onnx"
    onnx.checker.check_model(model)
    onnx.save(model, path)
    x = torch.randn(STEPS, 3)
    layers = [("gru-reset-before", [(gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0)], torch.tanh)]
    states = step_layers(layers, list(x))
    worst = check_against_onnxruntime("gru_reset_before", path, {"x": x.reshape(STEPS, 1, 3).numpy()}, states, None)
    write_case("gru_reset_before", "GRU(3,4) with linear_before_reset=0 (onnx.helper)", layers, states, x, None,
               path.name, worst)


def write_batch_major_hybrid():
    """The layout tf2onnx writes for a Keras model: a batch-major input transposed to
    sequence-major, zero initial states from ConstantOfShape, Squeeze between the layers, and
    a MatMul + Add head after transposing back; here an LSTM under a reset-before GRU."""
    torch.manual_seed(16)
    lstm, gru, head = nn.LSTM(3, 4), nn.GRU(4, 5), nn.Linear(5, 2)
    to_onnx = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2]}  # ONNX block j is PyTorch's block to_onnx[j]

    def onnx_weights(module, kind, prefix):
        H = module.hidden_size
        order = to_onnx[kind]
        W = reorder(module.weight_ih_l0.detach(), order, H)[None]
        R = reorder(module.weight_hh_l0.detach(), order, H)[None]
        B = torch.cat([reorder(module.bias_ih_l0.detach(), order, H), reorder(module.bias_hh_l0.detach(), order, H)])[None]
        return [numpy_helper.from_array(t.numpy(), f"{prefix}_{n}") for t, n in ((W, "W"), (R, "R"), (B, "B"))]

    initializers = onnx_weights(lstm, "lstm", "lstm") + onnx_weights(gru, "gru", "gru") + [
        numpy_helper.from_array(head.weight.detach().T.contiguous().numpy(), "dense_kernel"),
        numpy_helper.from_array(head.bias.detach().numpy(), "dense_bias"),
        numpy_helper.from_array(np.array([1, 1, 4], dtype=np.int64), "state_shape"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_1"),
    ]
    nodes = [
        helper.make_node("Transpose", ["x"], ["x_seq"], perm=[1, 0, 2]),
        helper.make_node("ConstantOfShape", ["state_shape"], ["zeros"]),
        helper.make_node("LSTM", ["x_seq", "lstm_W", "lstm_R", "lstm_B", "", "zeros", "zeros"], ["lstm_Y"], hidden_size=4),
        helper.make_node("Squeeze", ["lstm_Y", "axis_1"], ["lstm_out"]),
        helper.make_node("GRU", ["lstm_out", "gru_W", "gru_R", "gru_B"], ["gru_Y"], hidden_size=5, linear_before_reset=0),
        helper.make_node("Squeeze", ["gru_Y", "axis_1"], ["gru_out"]),
        helper.make_node("Transpose", ["gru_out"], ["gru_batch"], perm=[1, 0, 2]),
        helper.make_node("MatMul", ["gru_batch", "dense_kernel"], ["dense_product"]),
        helper.make_node("Add", ["dense_product", "dense_bias"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "keras_like", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, STEPS, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, STEPS, 2])], initializer=initializers)
    model = helper.make_model(graph, producer_name="tf2onnx-like", opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(model)
    path = OUT / "batch_major_hybrid.onnx"
    onnx.save(model, path)
    x = torch.randn(STEPS, 3)
    layers = [("lstm", [(lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)], torch.tanh),
              ("gru-reset-before", [(gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0)], torch.tanh)]
    states = step_layers(layers, list(x))
    with torch.no_grad():
        y = head(torch.stack(states[-1][0][0])).numpy()
    worst = check_against_onnxruntime("batch_major_hybrid", path, {"x": x.reshape(1, STEPS, 3).numpy()}, states,
                                      y.reshape(1, STEPS, 2))
    write_case("batch_major_hybrid", "batch-major LSTM(3,4) → GRU(4,5) reset before → Dense(2), as tf2onnx lays out",
               layers, states, x, None, path.name, worst, y)


def write_refused():
    """Graphs gatescope refuses, each for one reason (Swift tests check the message)."""
    torch.manual_seed(15)
    gru = nn.GRU(3, 4)
    refused = {
        "refused_hard_sigmoid": gru_graph(gru, 1, activations=["HardSigmoid", "Tanh"]),
        "refused_clip": gru_graph(gru, 1, extra={"clip": 3.0}),
        "refused_initial_state": gru_graph(gru, 1, initial_h=torch.full((4,), 0.5)),
        "refused_reverse_only": gru_graph(gru, 1, extra={"direction": "reverse"}),
    }
    # Two LSTM layers with a Relu between them: torch exports nn.LSTM → relu → nn.LSTM so.
    class ReluBetween(nn.Module):
        def __init__(self):
            super().__init__()
            self.first, self.second = nn.LSTM(3, 4), nn.LSTM(4, 4)

        def forward(self, x):
            return self.second(torch.relu(self.first(x)[0]))[0]
    torch.onnx.export(ReluBetween().eval(), (torch.randn(STEPS, 1, 3),), str(OUT / "refused_relu_between.onnx"),
                      dynamo=False, input_names=["x"], output_names=["y"])
    for name, model in refused.items():
        onnx.save(model, OUT / f"{name}.onnx")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, about, module in cases():
        export_case(name, about, module)
    write_gru_reset_before()
    write_batch_major_hybrid()
    write_refused()
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
