"""``d-overpowering``: D wins outright and G stops getting a useful signal."""

from __future__ import annotations

import math
from collections import deque
from typing import ClassVar

from ganzoo.diagnostics._base import Debouncer, make_alarm
from ganzoo.diagnostics.configs import DOverpoweringConfig
from ganzoo.events import Alarm, StepRecord
from ganzoo.interfaces import Diagnostic


class DOverpowering(Diagnostic):
    """Detects a discriminator that overpowers the generator.

    Alarms when D's accuracy stays >= 0.9 with ADA's r_t >= 0.8 for ``patience`` records in a
    row and, when the loss declares its scores logits, D is also confident: mean D(G(z)) <= 0.1;
    and D's lead holds over those records: the score gap E[D(x)] - E[D(G(z))] at the newest is
    at least ``hold`` times the gap at the first.

    With logits, sigmoid(score) is D's probability, so "D wins" can demand what ganhacks names
    the failure: D rejecting fakes with confidence, not merely sorting them right (a penalised
    D, as under R1 or DRAGAN, is often accurate yet unsure, and G still learns from it). A
    critic's scores have no probability, so accuracy and r_t alone decide there.

    The lead's trend tells D winning outright from D merely ahead: D learns faster than G at
    first, and in healthy runs it sorts nearly every image for hundreds of steps while G
    catches up and the gap shrinks (by 19-46% over 5 records in the general benchmark's healthy
    matrix); when G is beaten the gap holds or grows (`ring-d-boost`: 2.6 to 19 in 300 steps).
    The gap is in the loss's own score units, for logits and critics alike.
    """

    name: ClassVar[str] = "d-overpowering"

    def __init__(self, config: DOverpoweringConfig | None = None) -> None:
        self.config = config or DOverpoweringConfig()
        self.streak = 0
        self.gaps: deque[float] = deque(maxlen=self.config.patience)
        self.debounce = Debouncer(self.config.cooldown, self.config.clear_after)

    def on_step(self, record: StepRecord) -> list[Alarm]:
        """Check D's accuracy, r_t and (for logits) its confidence on fakes."""
        c = self.config
        acc, rt = record.d_accuracy, record.r_t
        hit = (
            record.step > c.warmup_steps
            and math.isfinite(acc)
            and acc >= c.accuracy
            and (not math.isfinite(rt) or rt >= c.r_t)
        )
        if hit and record.scores == "logits":  # D's probability exists: it must be confident
            hit = math.isfinite(record.p_fake) and record.p_fake <= c.p_fake
        self.streak = self.streak + 1 if hit else 0
        self.gaps.append(record.d_real - record.d_fake)
        severity = None
        if self.streak >= c.patience and self._lead_holds():
            severity = (
                "critical"
                if self.streak >= 3 * c.patience or acc >= c.critical_accuracy
                else "warning"
            )
        if not self.debounce.update(record.step, severity):
            return []
        return [
            make_alarm(
                "d-overpowering",
                record.step,
                severity,  # type: ignore[arg-type]
                f"D wins: accuracy {acc:.3f}, r_t {rt:.2f}, D loss {record.loss_d:.3g}, "
                f"D(G(z)) {record.p_fake:.3g} for {self.streak} records, its lead "
                f"E[D(x)] - E[D(G(z))] {self.gaps[0]:.3g} -> {self.gaps[-1]:.3g}",
                "lower D's learning rate / add a penalty (R1, GP) / use fewer critic steps",
                self.name,
                {
                    "d_accuracy": acc,
                    "r_t": rt,
                    "loss_d": record.loss_d,
                    "p_fake": record.p_fake,
                    "records": float(self.streak),
                    "lead": self.gaps[-1],
                    "lead_before": self.gaps[0],
                },
            )
        ]

    def _lead_holds(self) -> bool:
        """Whether D's score gap now is at least ``hold`` times the gap ``patience`` - 1 records ago.

        A non-finite gap cannot show that the lead shrank: the lead holds then.
        """
        first, now = self.gaps[0], self.gaps[-1]
        if self.config.hold <= 0 or not (math.isfinite(first) and math.isfinite(now)):
            return True
        return now >= self.config.hold * first


def build(config: DOverpoweringConfig | None = None) -> DOverpowering:
    """Registry builder."""
    return DOverpowering(config)
