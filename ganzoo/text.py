"""Text from outside (repo configs, plugin metadata, user input) made safe to print or render.

Anything ganzoo did not write itself can hold terminal escape sequences (which clear the screen
or hide text), newlines that fake further output, or Markdown that breaks out of a code fence.
`clean` makes a string one visible line, `preview` bounds what an error message shows of any
value (also of nested structures that expand when rendered, such as YAML aliases), and `fence`
wraps text in a Markdown code fence it cannot close. Torch-free, stdlib only.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = ["clean", "expanded_size", "fence", "preview", "table_cell"]

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
"""Bidirectional overrides and marks: they reorder what a terminal or page shows."""


def _unsafe(ch: str) -> bool:
    """A control, format, separator (other than space) or unassigned character, or a bidi mark."""
    if ch == " ":
        return False
    cat = unicodedata.category(ch)
    return cat[0] == "C" or cat in {"Zl", "Zp"} or ch in _BIDI


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clean(text: object, limit: int = 500) -> str:
    r"""``text`` as one printable line: control characters escaped, at most ``limit`` characters.

    Escape sequences (``\x1b[2J``), carriage returns, newlines, bidi overrides and other
    invisible characters become visible escapes such as ``\x1b``; a longer text is cut with
    ``...`` and the number of characters left out.

    Args:
        text: Any value; non-strings are converted with ``str``.
        limit: The most characters kept of the input.

    Returns:
        A string safe to write to a terminal.
    """
    raw = text if isinstance(text, str) else str(text)
    cut = len(raw) - limit if len(raw) > limit else 0
    head = raw[:limit] if cut else raw
    out = "".join(_escape(c) if _unsafe(c) else c for c in head)
    return out + (f"... ({cut} more characters)" if cut else "")


def expanded_size(value: Any, limit: int = 1_000_000) -> int:
    """How many nodes ``value`` has when every shared reference is written out, capped at ``limit``.

    YAML anchors and aliases make a few hundred bytes into a structure whose rendering (repr,
    JSON) has billions of nodes; this counts them in time linear in the distinct nodes.

    Args:
        value: A structure of dicts, lists, tuples and scalars.
        limit: Stop counting past this (the return value is then ``limit + 1``).

    Returns:
        The node count, or ``limit + 1`` when it is larger than ``limit``.
    """
    memo: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if depth > 100:
            return limit + 1
        if not isinstance(node, dict | list | tuple):
            return 1
        key = id(node)
        if key in memo:
            return memo[key]
        memo[key] = limit + 1  # a cycle counts as too large
        children = list(node.items()) if isinstance(node, dict) else list(node)
        total = 1
        for child in children:
            parts = child if isinstance(node, dict) else (child,)
            for part in parts:
                total += size(part, depth + 1)
                if total > limit:
                    memo[key] = limit + 1
                    return limit + 1
        memo[key] = total
        return total

    return size(value, 0)


def preview(value: Any, limit: int = 120) -> str:
    """A bounded, printable rendering of ``value`` for an error message.

    Walks nested dicts and lists with a character budget, so a structure that expands when
    rendered (YAML aliases of aliases) costs ``limit`` characters, not its full size.

    Args:
        value: Anything.
        limit: The most characters of the rendering.

    Returns:
        A ``repr``-like one-line string of at most about ``limit`` characters.
    """
    out: list[str] = []
    budget = [limit]

    def put(text: str) -> bool:
        if budget[0] <= 0:
            return False
        out.append(text[: budget[0]])
        budget[0] -= len(text)
        return budget[0] > 0

    def walk(node: Any, depth: int) -> bool:
        if isinstance(node, dict):
            if depth > 4:
                return put("{...}")
            if not put("{"):
                return False
            for i, (k, v) in enumerate(node.items()):
                if (i and not put(", ")) or not walk(k, depth + 1) or not put(": "):
                    return False
                if not walk(v, depth + 1):
                    return False
            return put("}")
        if isinstance(node, list | tuple):
            opening, closing = ("[", "]") if isinstance(node, list) else ("(", ")")
            if depth > 4:
                return put(opening + "..." + closing)
            if not put(opening):
                return False
            for i, item in enumerate(node):
                if (i and not put(", ")) or not walk(item, depth + 1):
                    return False
            return put(closing)
        if isinstance(node, str | bytes | int | float | bool) or node is None:
            text = (
                repr(node) if not isinstance(node, int) or node.bit_length() < 200 else "<big int>"
            )
        else:
            text = f"<{type(node).__name__}>"
        return put(clean(text, limit))

    complete = walk(value, 0)
    text = "".join(out)
    return text if complete and len(text) <= limit else text[:limit] + "..."


def fence(text: str, lang: str = "") -> str:
    """``text`` in a Markdown code fence that nothing inside it can close.

    The fence is one backtick longer than the longest run of backticks in the text (CommonMark:
    a fence closes only on a run at least as long), and control characters are escaped.

    Args:
        text: The content (one or more lines).
        lang: The info string, e.g. ``bash``.

    Returns:
        The fenced block, without a trailing newline.
    """
    lines = [clean(line, 10_000) for line in text.splitlines()] or [""]
    body = "\n".join(lines)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{body}\n{ticks}"


def table_cell(text: object, limit: int = 200) -> str:
    """``text`` as one Markdown table cell: clean, with ``|`` and backticks made inert."""
    return clean(text, limit).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
