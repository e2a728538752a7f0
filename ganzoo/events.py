"""Torch-free records that flow from training to callbacks, diagnostics and ``metrics.jsonl``.

Every event is a frozen dataclass whose ``as_dict()`` is its row in ``metrics.jsonl`` and whose
``from_dict()`` reads that row back (`event_from_dict` picks the class by the row's
``event`` key):

* `StepRecord`: the training statistics the loop hands to callbacks and diagnostics every
  ``log_every`` steps (plain floats, read from the device in one transfer, so the loop does not
  sync every step). Row ``{"event": "step", ...}``.
* `Alarm`: what a diagnostic emits when it sees a failure mode. Row ``{"event": "alarm", ...}``.
* `Notice`: what the run says about itself: it resumed, it stopped early, it failed.
  Row ``{"event": "resume" | "stopped" | "error", "step": ..., "message": ...}``.
* `CheckpointSaved` and `RunEnded`: rows ``checkpoint`` and ``end``.

`format_alarm` is the one place an alarm becomes a line of text.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

Severity = Literal["info", "warning", "critical"]
NoticeKind = Literal["resume", "stopped", "error"]


@dataclass(frozen=True)
class StepRecord:
    """Training statistics at one step (averaged over the steps since the last record).

    ``d_real``/``d_fake`` are mean raw scores of D on real and generated batches, ``p_real``/
    ``p_fake`` the mean of their sigmoids (D's probability of "real", for logit-based losses);
    ``d_accuracy`` is D's accuracy at threshold 0, ``r_t`` ADA's E[sign(D(x_real))];
    ``grad_norm_g``/``grad_norm_d`` are total gradient norms, and ``grad_norms_g`` holds G's
    per-layer norms when a diagnostic asked for them. ``loss_name`` names the loss, and
    ``scores``/``saturating`` are what its spec declares (``LossSpec``): whether D's scores are
    logits (then ``p_real``/``p_fake`` are D's probabilities) or critic values, and whether G's
    objective saturates. Display and detectors read these two, never the loss's name.
    """

    step: int
    loss_d: float
    loss_g: float
    d_real: float
    d_fake: float
    p_real: float = float("nan")
    p_fake: float = float("nan")
    grad_norm_d: float = float("nan")
    grad_norm_g: float = float("nan")
    grad_norms_g: dict[str, float] = field(default_factory=dict)
    penalty: float = 0.0
    d_accuracy: float = float("nan")
    r_t: float = float("nan")
    loss_name: str = ""
    images_per_second: float = float("nan")
    scores: Literal["logits", "critic"] = "logits"  # as ganzoo.specs.ScoreKind
    saturating: bool = False

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
    """A typed failure-mode event.

    ``kind`` names the failure (``mode-collapse``, ``vanishing-gradient``, ...), ``evidence`` the
    numbers that triggered it, ``suggestion`` one line on what to change.
    """

    kind: str
    step: int
    severity: Severity
    message: str
    suggestion: str
    source: str
    evidence: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The ``metrics.jsonl`` row: ``{"event": "alarm", "kind": ..., ...}``."""
        return {"event": "alarm", **asdict(self)}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Alarm:
        """Read an ``alarm`` row back (unknown keys are dropped)."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})


@dataclass(frozen=True)
class Notice:
    """Something the run says about itself: ``resume``, ``stopped`` (early, asked by a callback)
    or ``error`` (it cannot go on), at ``step``, in words."""

    kind: NoticeKind
    step: int
    message: str

    def as_dict(self) -> dict[str, object]:
        """The ``metrics.jsonl`` row: ``{"event": KIND, "step": ..., "message": ...}``."""
        return {"event": self.kind, "step": self.step, "message": self.message}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Notice:
        """Read a ``resume``, ``stopped`` or ``error`` row back."""
        return cls(kind=row["event"], step=row["step"], message=row["message"])


@dataclass(frozen=True)
class CheckpointSaved:
    """A checkpoint was written at ``step``; ``path`` is its folder name (``step-0001000``)."""

    step: int
    path: str

    def as_dict(self) -> dict[str, object]:
        """The ``metrics.jsonl`` row: ``{"event": "checkpoint", "step": ..., "path": ...}``."""
        return {"event": "checkpoint", "step": self.step, "path": self.path}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> CheckpointSaved:
        """Read a ``checkpoint`` row back."""
        return cls(step=row["step"], path=row["path"])


@dataclass(frozen=True)
class RunEnded:
    """The run ended at ``step`` with ``status`` (finished, stopped, interrupted, failed)."""

    step: int
    status: str

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
        A `StepRecord`, `Alarm`, `Notice`, `CheckpointSaved` or
        `RunEnded`; None when the row's ``event`` is none of theirs (a newer writer).
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
