"""Attach diagnostics to a training run: the callback that feeds them and routes their alarms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ganzoo.building import build_entry
from ganzoo.events import Alarm, StepRecord
from ganzoo.interfaces import Diagnostic
from ganzoo.registry import get_registry, list_specs
from ganzoo.training.callbacks import Callback, RunView

if TYPE_CHECKING:
    import torch
    from torch import Tensor


def build_diagnostics(names: list[str] | None) -> list[Diagnostic]:
    """Diagnostics by name; ``None`` means every registered one that is on by default."""
    if names is None:
        names = [s.name for s in list_specs("diagnostic") if s.enabled_by_default]  # type: ignore[union-attr]
    for name in names:
        get_registry().get(name, "diagnostic")
    return [build_entry(name) for name in names]


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
