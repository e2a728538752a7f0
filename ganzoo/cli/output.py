"""Shared output helpers: one-line errors on stderr, JSON for scripts, aligned tables for people.

Tables are plain aligned columns (no rich import): ``ganzoo list`` must answer in a blink. On a
terminal the header is bold and one flexible column is fitted to the terminal's width.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from typing import Any

from ganzoo.text import clean


def print_error(message: str) -> None:
    """Print ``error: message`` to stderr on one line (no traceback; control characters escaped)."""
    sys.stderr.write(f"error: {clean(message, 4000)}\n")


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(
    title: str | None,
    columns: list[str],
    rows: list[list[str]],
    flex: int | None = None,
    wrap: bool = False,
) -> None:
    """Print ``rows`` under ``columns``, two spaces between columns.

    On a terminal, column ``flex`` shrinks to fit the terminal's width: its cells are cut with
    "..." or, with ``wrap``, wrapped onto several lines. Piped output is never cut.
    """
    tty = sys.stdout.isatty()
    cells = [[clean(" ".join(str(c).split()), 2000) for c in row] for row in [columns, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    if tty and flex is not None:
        room = (
            shutil.get_terminal_size((100, 24)).columns
            - sum(widths)
            + widths[flex]
            - 2 * (len(columns) - 1)
        )
        widths[flex] = max(12, min(widths[flex], room))
    lines = [f"\033[1m{title}\033[0m" if tty else title] if title else []
    for n, row in enumerate(cells):
        parts = [[c] for c in row]
        if flex is not None and len(row[flex]) > widths[flex]:
            text = row[flex]
            parts[flex] = (
                textwrap.wrap(text, widths[flex], break_on_hyphens=False)
                if wrap
                else [text[: widths[flex] - 3] + "..."]
            )
        for k in range(max(len(p) for p in parts)):
            line = "  ".join(
                (p[k] if k < len(p) else "").ljust(w) for p, w in zip(parts, widths, strict=True)
            )
            lines.append(f"\033[1m{line.rstrip()}\033[0m" if tty and n == 0 else line.rstrip())
    sys.stdout.write("\n".join(lines) + "\n")
