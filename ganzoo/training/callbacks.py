"""The callback interface of the training loop, and the built-in callbacks.

A callback subclasses :class:`Callback` and overrides what it needs. The loop calls
``on_start`` once, ``on_step`` every ``log_every`` steps with a :class:`~ganzoo.events.StepRecord`,
``on_samples`` when it has drawn a sample grid, ``on_event`` for every alarm or notice,
``on_checkpoint`` after each checkpoint and ``on_end`` once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.events import StepRecord

if TYPE_CHECKING:
    from torch import Tensor

    from ganzoo.training.loop import Trainer


RAW_SCORE_LOSSES = ("wasserstein", "wasserstein-gp", "hinge")
"""Losses whose D is a critic: its raw scores, not their sigmoid, are what to show."""


def d_outputs(record: StepRecord) -> str:
    """``D(x) .. D(G(z)) ..``: probabilities for logit losses, raw critic values otherwise."""
    if record.loss_name in RAW_SCORE_LOSSES:
        return f"D(x) {record.d_real:+.3f} D(G(z)) {record.d_fake:+.3f}"
    return f"D(x) {record.p_real:.3f} D(G(z)) {record.p_fake:.3f}"


class Callback:
    """Base class: every hook is a no-op."""

    def on_start(self, trainer: Trainer) -> None: ...

    def on_step(self, trainer: Trainer, record: StepRecord) -> None: ...

    def on_samples(self, trainer: Trainer, step: int, samples: Tensor) -> None: ...

    def on_event(self, trainer: Trainer, event: dict[str, Any]) -> None: ...

    def on_checkpoint(self, trainer: Trainer, path: Path) -> None: ...

    def on_end(self, trainer: Trainer, status: str) -> None: ...


class MetricsLogger(Callback):
    """Appends each record and event as one JSON line to ``metrics.jsonl`` in the run directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh = None

    def _write(self, row: dict[str, Any]) -> None:
        if self._fh is None:
            self._fh = open(self.path, "a", buffering=1)  # noqa: SIM115 - kept open for the run
        self._fh.write(json.dumps(row, default=float) + "\n")

    def on_step(self, trainer: Trainer, record: StepRecord) -> None:
        self._write({"event": "step", **record.as_dict()})

    def on_event(self, trainer: Trainer, event: dict[str, Any]) -> None:
        self._write(event)

    def on_checkpoint(self, trainer: Trainer, path: Path) -> None:
        self._write({"event": "checkpoint", "step": trainer.step, "path": str(path.name)})

    def on_end(self, trainer: Trainer, status: str) -> None:
        self._write({"event": "end", "step": trainer.step, "status": status})
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class ProgressDisplay(Callback):
    """A rich progress bar with losses, D outputs, img/s and ETA; alarms printed above it."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.progress: Any = None
        self.task: Any = None

    def on_start(self, trainer: Trainer) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[stats]}"),
            console=self.console,
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task(
            trainer.config.architecture, total=trainer.total_steps, completed=trainer.step, stats=""
        )

    def on_step(self, trainer: Trainer, record: StepRecord) -> None:
        stats = (
            f"D {record.loss_d:.3f} G {record.loss_g:.3f} {d_outputs(record)} "
            f"{record.images_per_second:,.0f} img/s"
        )
        self.progress.update(self.task, completed=record.step, stats=stats)

    def on_event(self, trainer: Trainer, event: dict[str, Any]) -> None:
        if event.get("event") == "alarm":
            colour = "red" if event.get("severity") == "critical" else "yellow"
            self.console.print(
                f"[{colour}]alarm[/] step {event['step']}: {event['kind']}: {event['message']} "
                f"-> {event['suggestion']}"
            )
        elif event.get("message"):
            self.console.print(str(event["message"]))

    def on_end(self, trainer: Trainer, status: str) -> None:
        if self.progress is not None:
            self.progress.stop()


class PlainLog(Callback):
    """One line per record on stderr: what a non-TTY run (CI, logs) shows instead of a bar."""

    def __init__(self, every: int = 1) -> None:
        self.every = every
        self._n = 0

    def on_step(self, trainer: Trainer, record: StepRecord) -> None:
        self._n += 1
        if self._n % self.every == 0 or record.step == trainer.total_steps:
            sys.stderr.write(
                f"step {record.step}/{trainer.total_steps} D {record.loss_d:.4f} G {record.loss_g:.4f} "
                f"{d_outputs(record)} {record.images_per_second:.0f} img/s\n"
            )

    def on_event(self, trainer: Trainer, event: dict[str, Any]) -> None:
        if event.get("event") == "alarm":
            sys.stderr.write(
                f"alarm step {event['step']}: {event['kind']}: {event['message']} -> {event['suggestion']}\n"
            )
