"""Attach diagnostics to a training run: the callback that feeds them and routes their alarms."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol

from ganzoo.building import build_entry
from ganzoo.errors import PluginError
from ganzoo.events import Alarm, StepRecord
from ganzoo.interfaces import Diagnostic
from ganzoo.registry import get_registry, list_specs
from ganzoo.training.callbacks import Callback, RunView

if TYPE_CHECKING:
    import torch
    from torch import Tensor


ENV = "GANZOO_DIAGNOSTICS"
"""The environment variable that sets the selection of a run that gives none."""


def default_diagnostics() -> list[str]:
    """The registered diagnostics whose spec says ``enabled_by_default``."""
    return [s.name for s in list_specs("diagnostic") if s.enabled_by_default]  # type: ignore[union-attr]


def select_diagnostics(selection: list[str] | None) -> list[str]:
    """The names a selection of diagnostics means.

    A selection is a list of items: ``NAME`` (only the names listed), ``+NAME`` (the defaults
    and this one), ``-NAME`` (the defaults without this one), ``default`` (the defaults),
    ``all`` or ``none``. ``["-oscillation", "+my-detector"]`` edits the defaults; ``["a", "b"]``
    replaces them; ``[]`` is none. ``None`` (a run that chose nothing) reads ``GANZOO_DIAGNOSTICS``, a
    comma-separated selection of the same form, and else takes the defaults.

    Raises:
        UnknownNameError: An item names no registered diagnostic.
    """
    if selection is None:
        raw = os.environ.get(ENV, "")
        selection = [p.strip() for p in raw.split(",") if p.strip()] or ["default"]
    if not selection:
        return []  # a run that asked for none
    registry = get_registry()
    explicit = [i for i in selection if i[:1] not in "+-" and i not in {"default", "all", "none"}]
    chosen: list[str] = [] if explicit else default_diagnostics()
    for item in selection:
        if item == "none":
            chosen = []
        elif item == "all":
            chosen = registry.names("diagnostic")
        elif item == "default":
            chosen += [n for n in default_diagnostics() if n not in chosen]
        elif item.startswith("-"):
            registry.get(item[1:], "diagnostic")
            chosen = [n for n in chosen if n != item[1:]]
        else:
            name = item.removeprefix("+")
            registry.get(name, "diagnostic")
            if name not in chosen:
                chosen.append(name)
    return chosen


def build_diagnostics(names: list[str] | None) -> list[Diagnostic]:
    """The diagnostics a selection names (see `select_diagnostics`; ``None``: the defaults).

    Raises:
        PluginError: A diagnostic's builder returned something that is not a detector.
    """
    built = []
    for name in select_diagnostics(names):
        diagnostic = build_entry(name)
        if not isinstance(diagnostic, Diagnostic) or type(diagnostic) is Diagnostic:
            raise PluginError(
                f"diagnostic {name!r}: its builder returned {type(diagnostic).__name__}, not a "
                "subclass of ganzoo.interfaces.Diagnostic that implements on_step or on_samples"
            )
        built.append(diagnostic)
    return built


class WatchedRun(RunView, Protocol):
    """What `DiagnosticsCallback` reads of a run besides a `RunView`'s.

    Attributes:
        data: The training data set (the sample detectors compare against it).
        loss_name: The loss the run trains with.
        device: The run's device.
        G: The generator.
        ema: The EMA generator, or None.
        want_layer_norms: Set to have records carry G's per-layer gradient norms.
    """

    data: Any
    loss_name: str
    device: torch.device
    G: Any
    ema: Any
    want_layer_norms: bool


class DiagnosticsCallback(Callback):
    """Feeds records and sample grids to diagnostics; emits their alarms; stops on ``stop`` policy.

    ``alarms`` keeps every alarm raised, in order.
    """

    def __init__(self, diagnostics: list[Diagnostic], policy: str = "warn") -> None:
        self.diagnostics = diagnostics
        self.policy = policy
        self.alarms: list[Alarm] = []

    def on_start(self, trainer: WatchedRun) -> None:  # type: ignore[override]
        """Ask the run for G's per-layer gradient norms if a diagnostic wants them."""
        if any(d.wants_layer_grad_norms for d in self.diagnostics):
            trainer.want_layer_norms = True

    def _route(self, trainer: WatchedRun, alarms: list[Alarm]) -> None:
        for alarm in alarms:
            self.alarms.append(alarm)
            trainer.emit(alarm)
            if self.policy == "stop" and alarm.severity == "critical":
                trainer.request_stop(f"{alarm.kind} alarm from {alarm.source}: {alarm.message}")

    def on_step(self, trainer: WatchedRun, record: StepRecord) -> None:  # type: ignore[override]
        """Feed the record to every diagnostic and route their alarms."""
        for d in self.diagnostics:
            self._route(trainer, d.on_step(record))

    def on_samples(self, trainer: WatchedRun, step: int, samples: Tensor) -> None:  # type: ignore[override]
        """Feed the samples to the diagnostics that want them, with the run as context."""
        wanted = [d for d in self.diagnostics if d.wants_samples]
        if not wanted:
            return
        context = {
            "data": trainer.data,
            "loss": trainer.loss_name,
            "device": trainer.device,
            "generator": trainer.ema if trainer.ema is not None else trainer.G,
        }
        for d in wanted:
            self._route(trainer, d.on_samples(step, samples, context))
