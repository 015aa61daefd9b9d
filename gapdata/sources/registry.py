"""Which reader handles which file: each source module recognises its own files with `sniff`.

Order matters only where two formats could look alike: the most specific readers come first.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

SOURCE_MODULES = (
    "ks2",
    "ks4",
    "gias",
    "gias_links",
    "pupil_premium",
    "open_schools",
    "la_codes",
    "codepoint",
    "eyfsp",
    "ks4_la",
    "smc",
)

# Files that are documentation or field guides, not data: listed so the summary can say so plainly.
DOC_SUFFIXES = {".md", ".txt", ".pdf", ".json", ".html"}


def modules() -> list[ModuleType]:
    """The available source modules, in recognition order."""
    out = []
    for name in SOURCE_MODULES:
        try:
            out.append(importlib.import_module(f"gapdata.sources.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"gapdata.sources.{name}":
                raise
    return out


def recognise(path: Path, mods: list[ModuleType] | None = None) -> ModuleType | None:
    """The source module that reads this file, or None when no reader recognises it."""
    for mod in mods if mods is not None else modules():
        try:
            if mod.sniff(path):
                return mod
        except (OSError, UnicodeDecodeError, ValueError):
            continue
    return None
