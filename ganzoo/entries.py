"""Names -> specs: the table of registered entries, one namespace for every kind.

Pure data: `Registry` knows nothing of plugins or of the process-wide instance.
`ganzoo.plugins` fills one from the installed plugins, and `ganzoo.registry` holds the
process-wide one.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from ganzoo.errors import DuplicateNameError, UnknownNameError, WrongKindError
from ganzoo.specs import KINDS, Spec, normalize_kind


@dataclass(frozen=True)
class Entry:
    """A registered spec and the plugin that registered it."""

    spec: Spec
    plugin: str

    @property
    def name(self) -> str:
        """The spec's name."""
        return self.spec.name

    @property
    def kind(self) -> str:
        """The spec's kind."""
        return self.spec.kind


@dataclass
class PluginInfo:
    """What the loader knows of one plugin: where it came from, what it registered, or why not."""

    name: str
    distribution: str | None = None
    version: str | None = None
    value: str | None = None
    status: str = "loaded"  # loaded | failed | disabled | conflict
    entries: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float | None = None
    """How long importing it and calling its hooks took (None: not loaded)."""

    def as_dict(self) -> dict[str, object]:
        """The report as JSON values (``ganzoo plugins --json``)."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.value,
            "status": self.status,
            "entries": list(self.entries),
            "error": self.error,
            "seconds": self.seconds,
        }


def natural_key(text: str) -> list[object]:
    """Sort key that orders ``gan2`` before ``gan10``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


class Registry:
    """All registered entries, by name, plus the report of every plugin the loader saw."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self.plugins: list[PluginInfo] = []

    def add(self, specs: list[Spec], plugin: str) -> None:
        """Add a plugin's specs all at once: if any name is taken, none is added."""
        seen: dict[str, str] = {}
        for spec in specs:
            if spec.name in self._entries:
                owner = self._entries[spec.name].plugin
                raise DuplicateNameError(
                    f"plugin {plugin!r} registers {spec.kind} {spec.name!r}, but plugin {owner!r} "
                    f"already registered {self._entries[spec.name].kind} {spec.name!r}; "
                    "names are global across kinds: rename one of them"
                )
            if spec.name in seen:
                raise DuplicateNameError(
                    f"plugin {plugin!r} registers {spec.name!r} twice "
                    f"(as {seen[spec.name]} and as {spec.kind})"
                )
            seen[spec.name] = spec.kind
        for spec in specs:
            self._entries[spec.name] = Entry(spec=spec, plugin=plugin)

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is registered (of any kind)."""
        return name in self._entries

    def __len__(self) -> int:
        """The number of registered entries."""
        return len(self._entries)

    def names(self, kind: str | None = None, pattern: str | None = None) -> list[str]:
        """Registered names, naturally sorted, optionally of one kind and matching ``pattern``."""
        return [e.name for e in self.list(kind, pattern)]

    def get(self, name: str, kind: str | None = None) -> Entry:
        """The entry called ``name``; with ``kind``, it must be of that kind."""
        try:
            entry = self._entries[name]
        except KeyError:
            pool = self.names(kind) if kind else self.names()
            raise UnknownNameError(name, pool or self.names(), kind) from None
        if kind is not None and entry.kind != kind:
            raise WrongKindError(
                f"{name!r} is a {entry.kind} (from plugin {entry.plugin!r}), not a {kind}; "
                f"`ganzoo list {kind}` shows the {kind} entries"
            )
        return entry

    def list(self, kind: str | None = None, pattern: str | None = None) -> list[Entry]:
        """Entries of ``kind`` (all kinds if None) whose name matches the shell-style ``pattern``.

        Sorted by kind (in `ganzoo.specs.KINDS` order), then naturally by name.
        """
        if kind is not None:
            kind = normalize_kind(kind)
        if kind is not None and kind not in KINDS:
            raise UnknownNameError(kind, KINDS, "kind")
        out = [
            e
            for e in self._entries.values()
            if (kind is None or e.kind == kind)
            and (pattern is None or fnmatch.fnmatchcase(e.name, pattern))
        ]
        return sorted(out, key=lambda e: (KINDS.index(e.kind), natural_key(e.name)))
