"""Torch-free records that flow from training to diagnostics and logs.

A :class:`StepRecord` is what the training loop hands to callbacks and diagnostics every
``log_every`` steps (plain floats, read from the device in one transfer, so the loop does not sync
every step). An :class:`Alarm` is what a diagnostic emits when it sees a failure mode.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True)
class StepRecord:
    """Training statistics at one step (averaged over the steps since the last record).

    ``d_real``/``d_fake`` are mean raw scores of D on real and generated batches, ``p_real``/
    ``p_fake`` the mean of their sigmoids (D's probability of "real", for logit-based losses);
    ``d_accuracy`` is D's accuracy at threshold 0, ``r_t`` ADA's E[sign(D(x_real))];
    ``grad_norm_g``/``grad_norm_d`` are total gradient norms, and ``grad_norms_g`` holds G's
    per-layer norms when a diagnostic asked for them.
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

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


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
        return {"event": "alarm", **asdict(self)}
