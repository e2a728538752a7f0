"""The callback interface of the training loop, and the built-in callbacks.

A callback subclasses `Callback` and overrides what it needs. The loop calls ``on_start`` once,
``on_step`` every ``log_every`` steps with a `ganzoo.events.StepRecord`, ``on_samples`` when it
has drawn a sample grid, ``on_event`` for every `ganzoo.events.Alarm` or `ganzoo.events.Notice`,
``on_checkpoint`` after each checkpoint and ``on_end`` once. Each hook gets the run as a
`RunView`: what a callback may read of it and ask of it (the `ganzoo.training.loop.Trainer`
is one; this module does not import it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from ganzoo.events import Alarm, CheckpointSaved, Event, RunEnded, StepRecord, format_alarm

if TYPE_CHECKING:
    from torch import Tensor

    from ganzoo.training.config import TrainConfig


ALARMING = ("warning", "claim")
"""The notice kinds every log prints, ``--quiet`` included (`Alarms`). An ``error`` or
``interrupted`` notice is not among them: the exception that ends the run says it."""


def d_outputs(record: StepRecord) -> str:
    """D's outputs for a progress line, as the loss declares its scores.

    ``D(x) .. D(G(z)) ..`` as ``record.scores`` says: D's
    probabilities (the scores' sigmoids) for logits, the raw values for a critic.
    """
    if record.scores == "critic":
        return f"D(x) {record.d_real:+.3f} D(G(z)) {record.d_fake:+.3f}"
    return f"D(x) {record.p_real:.3f} D(G(z)) {record.p_fake:.3f}"


class RunView(Protocol):
    """What a callback may read of a run, and ask of it."""

    config: TrainConfig
    """The run's config."""
    run_dir: Path
    """The run directory."""
    step: int
    """Generator updates done so far."""
    total_steps: int
    """Generator updates the run is to do."""

    def emit(self, event: Event) -> None:
        """Send an alarm or a notice to every callback."""
        ...

    def request_stop(self, reason: str) -> None:
        """Ask the run to stop after the current step."""
        ...


class Callback:
    """Base class: every hook is a no-op; a callback overrides what it needs."""

    def on_start(self, trainer: RunView) -> None:
        """Called once when the run starts (or resumes), before the first step."""

    def on_step(self, trainer: RunView, record: StepRecord) -> None:
        """Called every ``log_every`` steps with the statistics since the last record."""

    def on_samples(self, trainer: RunView, step: int, samples: Tensor) -> None:
        """Called with the fixed-latent sample grid's samples every ``sample_every`` steps."""

    def on_event(self, trainer: RunView, event: Event) -> None:
        """Called for every `Alarm` or `Notice` the run emits."""

    def on_checkpoint(self, trainer: RunView, path: Path) -> None:
        """Called after a checkpoint was written to the folder ``path``."""

    def on_end(self, trainer: RunView, status: str) -> None:
        """Called once when the run ends: ``finished``, ``stopped``, ``interrupted`` or ``failed``."""


class MetricsLogger(Callback):
    """Appends each record and event as one JSON line to ``metrics.jsonl`` in the run directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh: IO[str] | None = None

    def _write(self, row: dict[str, Any]) -> None:
        if self._fh is None:
            self._fh = open(self.path, "a", buffering=1)  # noqa: SIM115 - kept open for the run
        self._fh.write(json.dumps(row, default=float) + "\n")

    def on_step(self, trainer: RunView, record: StepRecord) -> None:
        """Write the record's row."""
        self._write(record.as_dict())

    def on_event(self, trainer: RunView, event: Event) -> None:
        """Write the event's row."""
        self._write(event.as_dict())

    def on_checkpoint(self, trainer: RunView, path: Path) -> None:
        """Write a ``checkpoint`` row."""
        self._write(CheckpointSaved(trainer.step, path.name).as_dict())

    def on_end(self, trainer: RunView, status: str) -> None:
        """Write the ``end`` row and close the file."""
        self._write(RunEnded(trainer.step, status).as_dict())
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

    def on_start(self, trainer: RunView) -> None:
        """Start the bar at the run's current step."""
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

    def on_step(self, trainer: RunView, record: StepRecord) -> None:
        """Advance the bar and show the record's losses, D outputs and throughput."""
        stats = (
            f"D {record.loss_d:.3f} G {record.loss_g:.3f} {d_outputs(record)} "
            f"{record.images_per_second:,.0f} img/s"
        )
        self.progress.update(self.task, completed=record.step, stats=stats)

    def on_event(self, trainer: RunView, event: Event) -> None:
        """Print an alarm (coloured by severity) or a notice above the bar."""
        from rich.text import Text

        if isinstance(event, Alarm):
            prefix = "alarm"
            line = format_alarm(event, prefix=prefix)
            colour = "red" if event.severity == "critical" else "yellow"
            self.console.print(Text.assemble((prefix, colour), line[len(prefix) :]))
        elif event.message:
            self.console.print(Text(event.message))


class PlainLog(Callback):
    """One line per record on stderr: what a non-TTY run (CI, logs) shows instead of a bar."""

    def __init__(self, every: int = 1) -> None:
        self.every = every
        self._n = 0

    def on_step(self, trainer: RunView, record: StepRecord) -> None:
        """Print every ``every``-th record, and the last."""
        self._n += 1
        if self._n % self.every == 0 or record.step == trainer.total_steps:
            sys.stderr.write(
                f"step {record.step}/{trainer.total_steps} D {record.loss_d:.4f} G {record.loss_g:.4f} "
                f"{d_outputs(record)} {record.images_per_second:.0f} img/s\n"
            )

    def on_event(self, trainer: RunView, event: Event) -> None:
        """Print an alarm's line, or a warning or claim notice."""
        if isinstance(event, Alarm):
            sys.stderr.write(format_alarm(event) + "\n")
        elif event.kind in ALARMING:
            sys.stderr.write(f"{event.kind}: {event.message}\n")


class Alarms(Callback):
    """What ``--quiet`` still prints on stderr: critical alarms and the run's errors and warnings.

    A quiet run hides its progress, never the lines that say it went wrong: a critical alarm, a
    corrupt checkpoint passed over, a run directory taken over from a dead process (a
    divergence or an interruption ends the run with an error line of its own).
    """

    def on_event(self, trainer: RunView, event: Event) -> None:
        """Print a critical alarm's line, or a warning or claim notice."""
        if isinstance(event, Alarm):
            if event.severity == "critical":
                sys.stderr.write(format_alarm(event) + "\n")
        elif event.kind in ALARMING:
            sys.stderr.write(f"{event.kind}: {event.message}\n")
