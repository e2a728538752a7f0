"""Specs of the built-in pretrained models, read from ``zoo.json`` (tools/build_zoo.py writes it).

Imported by the built-in plugin on every ``ganzoo list``: JSON only, no torch.
"""

from __future__ import annotations

import json
from pathlib import Path

from ganzoo.specs import ModelSpec

ZOO_FILE = Path(__file__).with_name("zoo.json")


def load_entries(path: Path = ZOO_FILE) -> list[ModelSpec]:
    """The model specs recorded in ``path`` (none if the file does not exist)."""
    if not path.is_file():
        return []
    return [ModelSpec(**entry) for entry in json.loads(path.read_text())["models"]]


ENTRIES: list[ModelSpec] = load_entries()
