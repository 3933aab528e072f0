#!/usr/bin/env python3
"""Writes Sources/GateCore/Lessons/LessonFiles.swift: the built-in lessons in
Sources/GateCore/Lessons/<language>/*.yaml (en, and its translations es, pt, zh, de) as
base64 strings, so the gatescope binary carries them. Run after editing a lesson;
LessonTests fails while the embedded copies differ from the files."""
from embedding import encoded, root, write_enum

lessons = root / "Sources/GateCore/Lessons"
write_enum(
    "Sources/GateCore/Lessons/LessonFiles.swift", "embed_lessons.py", "Sources/GateCore/Lessons/<language>/*.yaml",
    "LessonFiles",
    ["Language code, file name → the file's bytes in base64; each language's files in",
     "the order `gatescope lesson` lists them."],
    "[(language: String, name: String, text: String)]",
    [f'("{language}", "{path.name}", "{encoded(path)}")'
     for language in ["en", "es", "pt", "zh", "de"] for path in sorted((lessons / language).glob("*.yaml"))],
)
