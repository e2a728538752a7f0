"""Specs of the built-in diagnostics entries. Imported by the built-in plugin; must not import torch."""

from __future__ import annotations

from ganzoo.specs import Spec

ENTRIES: list[Spec] = []
