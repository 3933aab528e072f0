#!/usr/bin/env python3
"""Writes Sources/GateCore/Scenarios/DemoFiles.swift: the trained demo models in
Sources/GateCore/Demos/*.safetensors as base64 strings, so the gatescope binary carries
them and needs no resource bundle beside it. Run after retraining a demo; DemoFilesTests
fails while the embedded copies differ from the files."""
from embedding import encoded, root, write_enum

write_enum(
    "Sources/GateCore/Scenarios/DemoFiles.swift", "embed_demos.py", "Sources/GateCore/Demos/*.safetensors",
    "DemoFiles", ["File name → the file's bytes in base64."], "[String: String]",
    [f'"{path.name}": "{encoded(path)}"' for path in sorted((root / "Sources/GateCore/Demos").glob("*.safetensors"))],
)
