#!/usr/bin/env python3
"""Writes Sources/GateView/Localization/TranslationFiles.swift: the interface's translations in
Sources/GateView/Localization/po/*.po (one gettext file per language, English needs none) as
base64 strings, so the gatescope binary carries them. Run after editing a .po file;
CatalogueTests fails while the embedded copies differ from the files, and reports a malformed
file with its name and line."""
from embedding import encoded, root, write_enum

write_enum(
    "Sources/GateView/Localization/TranslationFiles.swift", "embed_translations.py",
    "Sources/GateView/Localization/po/*.po", "TranslationFiles",
    ["Language code → its .po file's bytes in base64."], "[(language: String, text: String)]",
    [f'("{path.stem}", "{encoded(path)}")' for path in sorted((root / "Sources/GateView/Localization/po").glob("*.po"))],
)
