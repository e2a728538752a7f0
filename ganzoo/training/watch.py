"""Attach diagnostics to a training run: the callback that feeds them and routes their alarms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganzoo.events import StepRecord
from ganzoo.interfaces import Diagnostic
from ganzoo.training.callbacks import Callback

if TYPE_CHECKING:
    from torch import Tensor

    from ganzoo.training.loop import Trainer


def build_diagnostics(names: list[str] | None) -> list[Diagnostic]:
    """Diagnostics by name; ``None`` means every registered one that is on by default."""
    from ganzoo.api import list_entries
    from ganzoo.building import build_entry as build

    if names is None:
        names = [s.name for s in list_entries("diagnostic") if s.enabled_by_default]  # type: ignore[union-attr]
    from ganzoo.registry import get_registry

    for name in names:
        get_registry().get(name, "diagnostic")
    return [build(name) for name in names]


class DiagnosticsCallback(Callback):
    """Feeds records and sample grids to diagnostics; emits their alarms; stops on ``stop`` policy."""

    def __init__(self, diagnostics: list[Diagnostic], policy: str = "warn") -> None:
        self.diagnostics = diagnostics
        self.policy = policy
        self.alarms: list[dict[str, object]] = []

    def on_start(self, trainer: Trainer) -> None:
        if any(d.wants_layer_grad_norms for d in self.diagnostics):
            trainer.want_layer_norms = True

    def _route(self, trainer: Trainer, alarms: list) -> None:
        for alarm in alarms:
            self.alarms.append(alarm.as_dict())
            trainer.emit(alarm)
            if self.policy == "stop" and alarm.severity == "critical":
                trainer.request_stop(f"{alarm.kind} alarm from {alarm.source}: {alarm.message}")

    def on_step(self, trainer: Trainer, record: StepRecord) -> None:
        for d in self.diagnostics:
            self._route(trainer, d.on_step(record))

    def on_samples(self, trainer: Trainer, step: int, samples: Tensor) -> None:
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
