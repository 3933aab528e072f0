#!/usr/bin/env python3
"""torch.save files for gatescope's TorchSaveFile and the refusals of openTensorSource.

Writes small files (a few KB each) to Tests/Fixtures/torchsave/ and `expected.json`: for
every file that gatescope must read, the tensors torch itself gets back from it
(`torch.load`, names as in `state_dict()`, shape, storage type, values as float32 row-major),
and for whole pickled modules the module tree as Python sees it. Files that gatescope must
refuse are listed with the reason. Nothing here loads a file it did not just write, and the
file with a forbidden global is written by pickling only (pickling never runs the callable).

    python3 Tools/reference/make_torchsave_fixtures.py

torch.save stores a random serialization id, so a rerun changes bytes but not contents.
"""

import collections
import json
import os
import pathlib
import pickle
import zipfile

import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "torchsave"


class SentimentNet(nn.Module):
    """The course-notebook classifier: Embedding -> bidirectional LSTM -> Linear."""

    def __init__(self, vocab=7, embed=4, hidden=3, classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, ids):
        output, _ = self.lstm(self.embedding(ids))
        return self.fc(output[:, -1])


class ProjectedNet(nn.Module):
    """Two LSTM layers with a projection, a GRU cell and a Sequential head."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2, proj_size=2)
        self.cell = nn.GRUCell(2, 2, bias=False)
        self.head = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
        self.register_buffer("scale", torch.tensor([0.5, 2.0]))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)


class Payload:
    """Pickles as a call of os.system; only unpickling it would run the command."""

    def __reduce__(self):
        return (os.system, ("echo gatescope must never run this",))


STORAGE_NAMES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
}


def tensor_record(name, tensor):
    return {
        "name": name,
        "shape": list(tensor.shape),
        "dtype": STORAGE_NAMES[tensor.dtype],
        # float32 as torch converts it, row-major whatever the strides in the file.
        "values": tensor.detach().to(torch.float32).contiguous().reshape(-1).tolist(),
    }


def attribute_text(value):
    """An attribute as ModuleHint spells it: true/false, none, numbers as Python prints them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return value if isinstance(value, str) else repr(value)


def module_records(module):
    """The module tree in registration order, with its scalar public attributes."""
    records = []
    for path, sub in module.named_modules(remove_duplicate=False):
        attributes = {
            key: attribute_text(value)
            for key, value in vars(sub).items()
            if not key.startswith("_") and key != "training"
            and (value is None or isinstance(value, (bool, int, float, str)))
        }
        records.append({"path": path, "class": type(sub).__name__, "attributes": attributes})
    return records


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(8)
    readable, refused = [], []

    def save(file, obj, **kwargs):
        torch.save(obj, OUT / file, **kwargs)

    def expect(file, about, tensors, modules=None, other=None):
        readable.append({
            "file": file,
            "about": about,
            "tensors": [tensor_record(n, t) for n, t in tensors.items()],
            "modules": modules or [],
            "other": other or [],
        })

    # A state_dict: what nearly every tutorial saves.
    net = SentimentNet()
    save("state_dict.pt", net.state_dict())
    expect("state_dict.pt", "state_dict of Embedding -> bidirectional LSTM -> Linear",
           torch.load(OUT / "state_dict.pt"))

    # A training checkpoint: the model's state_dict beside the optimizer's and scalars.
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    loss = net(torch.tensor([[1, 2, 3]])).sum()
    loss.backward()
    optimizer.step()
    checkpoint = {
        "epoch": 12,
        "model_state_dict": net.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": 0.25,
        "note": "trained on toy data",
        # Plain values torch.load(weights_only=True) accepts too.
        "device": torch.device("cpu"),
        "input_shape": torch.Size([1, 3]),
        "dtype": torch.float32,
        "tag": b"v1",
    }
    save("checkpoint.pth", checkpoint)
    loaded = torch.load(OUT / "checkpoint.pth")
    expect("checkpoint.pth", "checkpoint dict with optimizer state",
           loaded["model_state_dict"],
           other=[key for key in loaded if key != "model_state_dict"])

    # A whole pickled module, its class defined here (__main__.SentimentNet).
    save("whole_module.pt", net)
    whole = torch.load(OUT / "whole_module.pt", weights_only=False)
    expect("whole_module.pt", "torch.save(model) of SentimentNet",
           whole.state_dict(), modules=module_records(whole))

    projected = ProjectedNet()
    save("projected_module.pt", projected)
    whole = torch.load(OUT / "projected_module.pt", weights_only=False)
    expect("projected_module.pt", "whole module: LSTM(proj_size=2, num_layers=2), GRUCell, Sequential",
           whole.state_dict(), modules=module_records(whole))

    # Half, bfloat16 and double storages.
    base = torch.randn(3, 4)
    save("dtypes.pt", collections.OrderedDict([
        ("half", base.to(torch.float16)),
        ("bfloat", base.to(torch.bfloat16)),
        ("double", base.to(torch.float64) / 3),
        ("float", base),
    ]))
    expect("dtypes.pt", "F16, BF16, F64 and F32 storages", torch.load(OUT / "dtypes.pt"))

    # Views of one storage: transposed, offset, strided; saved once, shared.
    matrix = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
    save("views.pt", collections.OrderedDict([
        ("matrix", matrix),
        ("transposed", matrix.t()),
        ("row", matrix[2]),
        ("column", matrix[:, 3]),
        ("block", matrix[1:3, 2:5].t()),
        ("scalar", matrix[3, 5]),
    ]))
    expect("views.pt", "non-contiguous views sharing one storage", torch.load(OUT / "views.pt"))

    # torch.save of a plain list of tensors: named by position.
    tensors = [torch.randn(2, 3), torch.randn(3)]
    save("tensor_list.pt", tensors)
    expect("tensor_list.pt", "a list of tensors",
           {str(i): t for i, t in enumerate(torch.load(OUT / "tensor_list.pt"))})

    # Files gatescope refuses, each with the reason its message names.
    save("legacy.pt", net.state_dict(), _use_new_zipfile_serialization=False)
    refused.append({"file": "legacy.pt", "reason": "pre-1.6 format"})

    save("forbidden.pt", {"model_state_dict": net.state_dict(), "payload": Payload()})
    refused.append({"file": "forbidden.pt", "reason": "REDUCE of posix.system"})

    (OUT / "plain.pkl").write_bytes(pickle.dumps({"weights": [1.0, 2.0]}, protocol=2))
    refused.append({"file": "plain.pkl", "reason": "a plain pickle"})

    scripted = torch.jit.script(nn.GRU(2, 2))
    scripted.save(str(OUT / "torchscript.pt"))
    refused.append({"file": "torchscript.pt", "reason": "TorchScript archive"})

    with zipfile.ZipFile(OUT / "model.keras", "w") as keras:
        keras.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        keras.writestr("config.json", json.dumps({"class_name": "Sequential"}))
        keras.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    refused.append({"file": "model.keras", "reason": "Keras archive"})

    with zipfile.ZipFile(OUT / "notes.zip", "w") as archive:
        archive.writestr("notes/readme.txt", "not a model")
    refused.append({"file": "notes.zip", "reason": "zip of something else"})

    with open(OUT / "expected.json", "w") as out:
        json.dump({"torch": torch.__version__, "readable": readable, "refused": refused},
                  out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
