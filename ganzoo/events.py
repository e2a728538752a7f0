"""Torch-free records that flow from training to callbacks, diagnostics and ``metrics.jsonl``.

Every event is a frozen dataclass whose ``as_dict()`` is its row in ``metrics.jsonl`` and whose
``from_dict()`` reads that row back ([`event_from_dict`][ganzoo.events.event_from_dict] picks
the class by the row's ``event`` key):

* [`StepRecord`][ganzoo.events.StepRecord]: the training statistics the loop hands to callbacks
  and diagnostics every ``log_every`` steps (plain floats, read from the device in one transfer,
  so the loop does not sync every step). Row ``{"event": "step", ...}``.
* [`Alarm`][ganzoo.events.Alarm]: what a diagnostic emits when it sees a failure mode.
  Row ``{"event": "alarm", ...}``.
* [`Notice`][ganzoo.events.Notice]: what the run says about itself: it resumed, it stopped
  early, it failed. Row ``{"event": "resume" | "stopped" | "error", "step": ..., "message": ...}``.
* [`CheckpointSaved`][ganzoo.events.CheckpointSaved] and [`RunEnded`][ganzoo.events.RunEnded]:
  rows ``checkpoint`` and ``end``.

[`format_alarm`][ganzoo.events.format_alarm] is the one place an alarm becomes a line of text.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

Severity = Literal["info", "warning", "critical"]
"""How bad an alarm is; ``--on-alarm stop`` stops a run at a ``critical`` one."""
NoticeKind = Literal[
    "resume", "stopped", "error", "data", "setup", "interrupted", "warning", "claim"
]
"""What a `Notice` reports: the run resumed, stopped early, failed, which data it read, a choice
it made for this machine (``amp: auto``), was interrupted (SIGINT/SIGTERM, with a checkpoint
saved), a warning (a corrupt checkpoint passed over), or that it took over a run directory whose
last holder died."""


@dataclass(frozen=True)
class StepRecord:
    """Training statistics at one step (averaged over the steps since the last record).

    NaN marks a statistic that was not measured.
    """

    step: int
    """The training step (G updates so far)."""
    loss_d: float
    """D's loss, its penalty and auxiliary losses included."""
    loss_g: float
    """G's loss, auxiliary losses included."""
    d_real: float
    """Mean raw score of D on real batches."""
    d_fake: float
    """Mean raw score of D on generated batches."""
    p_real: float = float("nan")
    """Mean sigmoid of D's scores on real batches: D's probability of "real" when `scores` is
    ``logits``."""
    p_fake: float = float("nan")
    """Mean sigmoid of D's scores on generated batches (as `p_real`)."""
    grad_norm_d: float = float("nan")
    """D's total gradient norm."""
    grad_norm_g: float = float("nan")
    """G's total gradient norm."""
    grad_norms_g: dict[str, float] = field(default_factory=dict)
    """G's per-layer gradient norms, when a diagnostic asked for them."""
    penalty: float = 0.0
    """The weighted penalty on D (0 for a loss without one)."""
    d_accuracy: float = float("nan")
    """D's accuracy at threshold 0 on real and generated batches."""
    r_t: float = float("nan")
    """ADA's overfitting heuristic E[sign(D(x_real))], over the real scores of every D update
    (the same terms ADA adjusts its ``p`` from: `ganzoo.training.augment.sign_terms`)."""
    augment_p: float = float("nan")
    """The probability each augmentation is applied with: ADA's ``p`` (averaged over the
    record's steps), 1 with DiffAugment, 0 without augmentation (NaN: not recorded)."""
    loss_name: str = ""
    """The loss's registry name."""
    images_per_second: float = float("nan")
    """Training throughput since the last record."""
    scores: Literal["logits", "critic"] = "logits"  # as ganzoo.specs.ScoreKind
    """What the loss's spec declares D's scores are (``LossSpec.scores``): ``logits`` (then
    `p_real`/`p_fake` are D's probabilities) or ``critic`` values. Display and detectors read
    it, never the loss's name."""
    saturating: bool = False
    """Whether the loss's spec declares G's objective saturating (``LossSpec.saturating``)."""

    def as_dict(self) -> dict[str, object]:
        """The ``metrics.jsonl`` row: ``{"event": "step", "step": ..., "loss_d": ..., ...}``."""
        return {"event": "step", **asdict(self)}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> StepRecord:
        """Read a ``step`` row back; unknown keys are dropped, a null number reads as NaN."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in row:
                continue
            value = row[f.name]
            if value is None and f.type in ("int", "float"):
                value = math.nan
            values[f.name] = value
        return cls(**values)


@dataclass(frozen=True)
class Alarm:
    """A typed failure-mode event."""

    kind: str
    """The failure (``mode-collapse``, ``vanishing-gradient``, ...)."""
    step: int
    """The step it was raised at."""
    severity: Severity
    """``info``, ``warning`` or ``critical``."""
    message: str
    """What was seen, in words."""
    suggestion: str
    """One line on what to change."""
    source: str
    """The diagnostic that raised it."""
    evidence: dict[str, float] = field(default_factory=dict)
    """The numbers that triggered it."""

    def as_dict(self) -> dict[str, object]:
        """The ``metrics.jsonl`` row: ``{"event": "alarm", "kind": ..., ...}``."""
        return {"event": "alarm", **asdict(self)}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Alarm:
        """Read an ``alarm`` row back (unknown keys are dropped)."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})


@dataclass(frozen=True)
class Notice:
    """Something the run says about itself, in words."""

    kind: NoticeKind
    """``resume``, ``stopped`` (early, asked by a callback), ``error`` (it cannot go on),
    ``data`` (which data the run reads, when a name could mean a path or a data set),
    ``setup`` (a choice made for this machine: what ``amp: auto`` resolved to),
    ``interrupted`` (SIGINT/SIGTERM; a checkpoint was saved), ``warning`` or ``claim``."""
    step: int
    """The step it happened at."""
    message: str
    """What happened."""

    def as_dict(self) -> dict[str, object]:
        """The ``metrics.jsonl`` row: ``{"event": KIND, "step": ..., "message": ...}``."""
        return {"event": self.kind, "step": self.step, "message": self.message}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Notice:
        """Read a ``resume``, ``stopped`` or ``error`` row back."""
        return cls(kind=row["event"], step=row["step"], message=row["message"])


@dataclass(frozen=True)
class CheckpointSaved:
    """A checkpoint was written."""

    step: int
    """The step it holds."""
    path: str
    """Its folder name (``step-0001000``)."""

    def as_dict(self) -> dict[str, object]:
        """The ``metrics.jsonl`` row: ``{"event": "checkpoint", "step": ..., "path": ...}``."""
        return {"event": "checkpoint", "step": self.step, "path": self.path}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> CheckpointSaved:
        """Read a ``checkpoint`` row back."""
        return cls(step=row["step"], path=row["path"])


@dataclass(frozen=True)
class RunEnded:
    """The run ended."""

    step: int
    """The last step."""
    status: str
    """``finished``, ``stopped``, ``interrupted`` or ``failed``."""

    def as_dict(self) -> dict[str, object]:
        """The ``metrics.jsonl`` row: ``{"event": "end", "step": ..., "status": ...}``."""
        return {"event": "end", "step": self.step, "status": self.status}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> RunEnded:
        """Read an ``end`` row back."""
        return cls(step=row["step"], status=row["status"])


Event = Alarm | Notice
"""What a run sends to its callbacks' ``on_event``."""

Row = StepRecord | Alarm | Notice | CheckpointSaved | RunEnded
"""Anything a row of ``metrics.jsonl`` holds."""

_ROW_CLASSES: dict[str, type[StepRecord | Alarm | Notice | CheckpointSaved | RunEnded]] = {
    "step": StepRecord,
    "alarm": Alarm,
    "checkpoint": CheckpointSaved,
    "end": RunEnded,
    **dict.fromkeys(get_args(NoticeKind), Notice),
}


def event_from_dict(row: dict[str, Any]) -> Row | None:
    """The typed event of a ``metrics.jsonl`` row, or None for a row of an unknown kind.

    Args:
        row: One parsed line of ``metrics.jsonl``.

    Returns:
        A `StepRecord`, `Alarm`, `Notice`, `CheckpointSaved` or `RunEnded`; None when the row's
            ``event`` is none of theirs (a newer writer).
    """
    cls = _ROW_CLASSES.get(str(row.get("event")))
    return cls.from_dict(row) if cls is not None else None


def format_alarm(alarm: Alarm, prefix: str = "alarm", with_step: bool = True) -> str:
    """The one text line for an alarm, wherever it is printed.

    Args:
        alarm: The alarm.
        prefix: The line's first word: ``alarm`` in a training log (the progress display colours
            it by severity), the severity in ``ganzoo diagnose``'s listing.
        with_step: Whether to name the step (not for an alarm about a finished model).

    Returns:
        ``alarm step 150: vanishing-gradient: <message> -> <suggestion>`` (no newline).
    """
    head = f"{prefix} step {alarm.step}" if with_step else prefix
    return f"{head}: {alarm.kind}: {alarm.message} -> {alarm.suggestion}"
