"""One exception family for everything ganzoo raises on purpose.

Every error carries a message that names the problem and, where there is one, the fix. The CLI
prints ``str(error)`` on one line and exits non-zero; it never shows a traceback for these.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from ganzoo.text import clean, preview


class GanzooError(Exception):
    """Base class of every error ganzoo raises deliberately."""


class UnknownNameError(GanzooError, LookupError):
    """A name that is not in the registry; the message suggests the closest registered names.

    Args:
        name: The name asked for.
        candidates: The registered names to suggest from.
        kind: The kind asked for, named in the message (None: any kind).
    """

    def __init__(self, name: str, candidates: Iterable[str], kind: str | None = None) -> None:
        names = sorted(set(candidates))
        self.name = name
        """The name asked for."""
        self.suggestions = close_names(name, names)
        """Up to three registered names close to it (see `close_names`)."""
        what = f"{kind} " if kind else ""
        msg = f"unknown {what}name {name!r}"
        if self.suggestions:
            msg += f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?"
        else:
            msg += "."
        msg += " Run `ganzoo list` to see every registered name."
        super().__init__(msg)

    def __str__(self) -> str:
        """The message as is (``LookupError`` would put quotes around it)."""
        return str(self.args[0])


class WrongKindError(GanzooError):
    """A name that exists but names an entry of another kind than the one asked for."""


class PluginError(GanzooError):
    """A plugin failed to import, to register, or registered something invalid."""


class DuplicateNameError(PluginError):
    """Two plugins registered the same name."""


class ConfigError(GanzooError, ValueError):
    """A configuration or override failed validation; the message lists each bad field."""


class DataError(GanzooError):
    """A data set could not be found, read or does not fit the model."""


class WeightsError(GanzooError):
    """Weight files that are missing, corrupt, or do not match the model."""


class CheckpointError(GanzooError):
    """A run directory or checkpoint that cannot be resumed from."""


class TrainingError(GanzooError):
    """Training stopped because it cannot go on (a non-finite loss, say)."""


class HubError(GanzooError):
    """A Hub operation failed: repo or file not found, no permission, or a network problem."""


def close_names(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` registered names close to ``name``: prefix matches first, then fuzzy ones."""
    names = list(candidates)
    prefix = [c for c in names if c.startswith(name) or name.startswith(c)]
    fuzzy = difflib.get_close_matches(name, names, n=n, cutoff=0.6)
    out: list[str] = []
    for c in [*fuzzy, *sorted(prefix, key=len)]:
        if c not in out:
            out.append(c)
    return out[:n]


def _yaml_bool_hint(e: Any) -> str:
    """A hint for a word YAML read as a boolean where a word was wanted (``amp: off``)."""
    if isinstance(e.get("input"), bool) and e.get("type") in {"literal_error", "string_type"}:
        return (
            "; YAML and --set read off/on/no/yes as a boolean, not a word: write one of the "
            "listed values (in quotes if it is such a word)"
        )
    return ""


def format_validation_error(error: Exception, what: str) -> str:
    """Turn a pydantic ``ValidationError`` into one readable message naming each bad field."""
    errors = getattr(error, "errors", None)
    if errors is None:
        return f"invalid {what}: {error}"
    parts = []
    items = errors()
    for e in items[:8]:
        loc = ".".join(clean(p, 40) for p in e.get("loc", ())) or "(root)"
        parts.append(
            f"{loc}: {clean(e.get('msg'), 200)}"
            + (
                f" (got {preview(e['input'])})"
                if "input" in e and not isinstance(e["input"], dict)
                else ""
            )
            + _yaml_bool_hint(e)
        )
    if len(items) > 8:
        parts.append(f"and {len(items) - 8} more")
    return f"invalid {what}: " + "; ".join(parts)
