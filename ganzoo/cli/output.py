"""Shared output helpers: one-line errors on stderr, JSON for scripts, rich tables for people."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_error(message: str) -> None:
    """Print ``error: message`` to stderr (no traceback)."""
    sys.stderr.write(f"error: {message}\n")


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(title: str | None, columns: list[str], rows: list[list[str]]) -> None:
    """Print a rich table (plain text when stdout is not a terminal)."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*r)
    Console(soft_wrap=False).print(t)
