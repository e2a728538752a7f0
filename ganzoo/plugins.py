"""Discover plugins (entry points of group ``ganzoo``), load each in isolation, fill the registry.

pluggy's stock ``load_setuptools_entrypoints`` stops at the first broken plugin; this loader
imports and calls every plugin inside its own ``try``, records a failure with its error, and goes
on. ``GANZOO_DISABLE_PLUGINS=a,b`` skips plugins by entry-point name; ``GANZOO_STRICT_PLUGINS=1``
makes any failure raise ``PluginError`` (for plugin authors and CI).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
from pydantic import BaseModel, ValidationError

from ganzoo import hookspecs
from ganzoo.entries import PluginInfo, Registry
from ganzoo.errors import PluginError, format_validation_error
from ganzoo.specs import SPEC_TYPES, Spec
from ganzoo.text import clean

GROUP = "ganzoo"
BUILTIN = "builtin"
BUILTIN_MODULE = "ganzoo.builtin"


def disabled_plugins() -> set[str]:
    """Entry-point names listed in ``GANZOO_DISABLE_PLUGINS``."""
    raw = os.environ.get("GANZOO_DISABLE_PLUGINS", "")
    return {p.strip() for p in raw.split(",") if p.strip()}


def strict_plugins() -> bool:
    """Whether ``GANZOO_STRICT_PLUGINS`` asks for plugin failures to raise."""
    return os.environ.get("GANZOO_STRICT_PLUGINS", "").lower() in {"1", "true", "yes", "on"}


def discover() -> list[EntryPoint]:
    """Entry points of group ``ganzoo``, one per (distribution, name): the built-in set first.

    The built-in set is ganzoo's own entry point (``builtin = ganzoo.builtin``); a third-party
    entry point that is also called ``builtin`` is an ordinary plugin, sorted with the others by
    name, then distribution. The same distribution seen twice on ``sys.path`` counts once.
    """
    seen: dict[tuple[str, str], EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        seen.setdefault((_dist_name(ep), ep.name), ep)
    return sorted(seen.values(), key=lambda ep: (not _is_builtin(ep), ep.name, _dist_name(ep)))


def _dist_name(ep: EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else ""


def _is_builtin(ep: EntryPoint) -> bool:
    return ep.name == BUILTIN and ep.value == BUILTIN_MODULE


def slow_seconds() -> float:
    """Seconds after which loading one plugin earns a hint (``GANZOO_SLOW_PLUGIN_SECONDS``)."""
    try:
        return float(os.environ.get("GANZOO_SLOW_PLUGIN_SECONDS", "1.0"))
    except ValueError:
        return 1.0


class _SigintWatch:
    """Tells a real Ctrl-C from a plugin that raises ``KeyboardInterrupt`` itself.

    While plugins load, SIGINT goes through a handler that notes the signal and then raises
    ``KeyboardInterrupt`` as Python's default handler does; a ``KeyboardInterrupt`` with no
    signal noted came from plugin code and is that plugin's failure. Outside the main thread (no
    handler can be set) every ``KeyboardInterrupt`` is taken as real.
    """

    def __init__(self) -> None:
        self.signalled = False
        self._previous: Any = None
        self._active = False

    def __enter__(self) -> _SigintWatch:
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handle)
                self._active = True
            except (ValueError, OSError):
                self._active = False
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.signalled = True
        raise KeyboardInterrupt

    def real(self) -> bool:
        """Whether a KeyboardInterrupt now being handled came from a real signal."""
        return self.signalled or not self._active

    def __exit__(self, *exc: object) -> None:
        if self._active:
            signal.signal(signal.SIGINT, self._previous)


def _collect(pm: pluggy.PluginManager, plugin_name: str) -> list[Spec]:
    """Call one plugin's hooks and return the specs it registered, validated."""
    specs: list[Spec] = []
    for kind, hook_name in hookspecs.HOOKS.items():
        spec_type = SPEC_TYPES[kind]

        def register(spec: object, _kind: str = kind, _type: type[BaseModel] = spec_type) -> None:
            if isinstance(spec, BaseModel) and not isinstance(spec, _type):
                raise PluginError(
                    f"{hookspecs.HOOKS[_kind]} was given a {type(spec).__name__}; "
                    f"it takes {_type.__name__} specs"
                )
            if not isinstance(spec, _type):
                try:
                    spec = _type.model_validate(spec)
                except ValidationError as err:
                    raise PluginError(format_validation_error(err, f"{_kind} spec")) from None
            specs.append(spec)  # type: ignore[arg-type]

        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin_name == plugin_name:
                impl.function(*[{"register": register}[a] for a in impl.argnames])
    return specs


def _check_hook_names(pm: pluggy.PluginManager, plugin: object) -> None:
    for attr in dir(plugin):
        if (
            pm.parse_hookimpl_opts(plugin, attr) is not None
            and attr not in hookspecs.HOOKS.values()
        ):
            known = ", ".join(hookspecs.HOOKS.values())
            raise PluginError(f"unknown hook {attr!r}; ganzoo's hooks are: {known}")


def load_plugins(registry: Registry) -> None:
    """Load every discovered plugin into ``registry``, recording each in ``registry.plugins``.

    Each plugin is imported and its hooks called inside its own guard: any exception, and also
    ``SystemExit`` or a ``KeyboardInterrupt`` the plugin raises itself, marks that plugin failed
    (a real Ctrl-C still interrupts). What plugins print while loading goes to stderr, so
    ``ganzoo list --json`` stays clean. A second plugin with a name already taken is reported
    (status ``conflict``), never silently replaces the first. A plugin slower to load than
    `slow_seconds` gets a one-line hint on stderr.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    disabled = disabled_plugins()
    strict = strict_plugins()
    owners: dict[str, PluginInfo] = {}
    sys.stdout.flush()
    with _SigintWatch() as watch, contextlib.redirect_stdout(sys.stderr):
        for ep in discover():
            info = PluginInfo(
                name=ep.name,
                distribution=ep.dist.name if ep.dist else None,
                version=ep.dist.version if ep.dist else None,
                value=ep.value,
            )
            registry.plugins.append(info)
            if ep.name in disabled:
                info.status = "disabled"
                continue
            owner = owners.get(ep.name)
            if owner is not None:
                _conflict(info, owner, strict)
                continue
            owners[ep.name] = info
            started = time.perf_counter()
            _load_one(pm, ep, info, registry, watch, strict)
            info.seconds = round(time.perf_counter() - started, 3)
            if info.seconds > slow_seconds():
                sys.stderr.write(
                    f"hint: plugin {clean(ep.name, 64)!r} ({clean(info.distribution, 64)}) took "
                    f"{info.seconds:.1f} s to load; GANZOO_DISABLE_PLUGINS={clean(ep.name, 64)} "
                    "skips it\n"
                )


def _conflict(info: PluginInfo, owner: PluginInfo, strict: bool) -> None:
    """Record that ``info``'s entry-point name is taken by ``owner``'s (and raise if strict)."""
    info.status = "conflict"
    info.error = (
        f"entry point {clean(info.name, 64)!r} of distribution {clean(info.distribution, 64)!r} "
        f"has the name of the plugin from {clean(owner.distribution, 64)!r}, which keeps it; "
        "this one was not loaded (rename its entry point)"
    )
    if strict:
        raise PluginError(f"{info.error} (GANZOO_STRICT_PLUGINS is set)")


def _load_one(
    pm: pluggy.PluginManager,
    ep: EntryPoint,
    info: PluginInfo,
    registry: Registry,
    watch: _SigintWatch,
    strict: bool,
) -> None:
    """Import one plugin and call its hooks; any failure is recorded on ``info``."""
    registered = False
    try:
        plugin = ep.load()
        _check_hook_names(pm, plugin)
        pm.register(plugin, name=ep.name)
        registered = True
        specs = _collect(pm, ep.name)
        registry.add(specs, plugin=ep.name)
        info.entries = [s.name for s in specs]
    except BaseException as err:  # a broken plugin must never take the others (or ganzoo) down
        if isinstance(err, KeyboardInterrupt) and watch.real():
            raise
        if not isinstance(err, Exception | SystemExit | KeyboardInterrupt):
            raise  # GeneratorExit and the like are not a plugin's doing
        if registered:
            pm.unregister(name=ep.name)
        info.status = "failed"
        info.error = clean(f"{type(err).__name__}: {err}", 500)
        if strict:
            raise PluginError(
                f"plugin {clean(ep.name, 64)!r} ({clean(ep.value, 100)}) failed: {info.error} "
                "(GANZOO_STRICT_PLUGINS is set)"
            ) from err
