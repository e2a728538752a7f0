"""``exploding-gradient``: non-finite or huge gradient norms (ganhacks: norms above ~100)."""

from __future__ import annotations

import math
from typing import ClassVar

from ganzoo.diagnostics._base import Debouncer, RunningMedian, make_alarm
from ganzoo.diagnostics.configs import ExplodingGradientConfig
from ganzoo.events import Alarm, StepRecord
from ganzoo.interfaces import Diagnostic


class ExplodingGradient(Diagnostic):
    """Detects exploding gradients of G or D.

    Alarms on a non-finite gradient norm (critical, at once) or on a norm of G or D above 100
    and 10x its running median for ``patience`` records (warning; critical above 100x).
    """

    name: ClassVar[str] = "exploding-gradient"

    def __init__(self, config: ExplodingGradientConfig | None = None) -> None:
        self.config = config or ExplodingGradientConfig()
        self.medians = {
            "g": RunningMedian(self.config.window),
            "d": RunningMedian(self.config.window),
        }
        self.streak = 0
        self.debounce = Debouncer(self.config.cooldown, self.config.clear_after)

    def on_step(self, record: StepRecord) -> list[Alarm]:
        """Check G's and D's gradient norms against their running medians."""
        c = self.config
        norms = {"g": record.grad_norm_g, "d": record.grad_norm_d}
        severity = None
        worst = ("", 0.0, float("nan"))
        for net, value in norms.items():
            hist = self.medians[net]
            if math.isinf(value) or (math.isnan(value) and len(hist) > 0):
                severity, worst = "critical", (net, value, hist.median)
                break
            if not math.isfinite(value):
                continue
            med = hist.median
            ready = len(hist) >= c.warmup
            big = value > c.absolute and (not ready or value > c.relative * med)
            if big:
                ratio = value / med if ready and med > 0 else float("inf")
                level = "critical" if ratio > c.critical_relative else "warning"
                if severity != "critical":
                    severity, worst = level, (net, value, med)
            else:
                hist.add(value)
        self.streak = self.streak + 1 if severity else 0
        if severity == "warning" and self.streak < c.patience:
            severity = None
        if not self.debounce.update(record.step, severity):
            return []
        net, value, med = worst
        who = "G" if net == "g" else "D"
        return [
            make_alarm(
                "exploding-gradient",
                record.step,
                severity,  # type: ignore[arg-type]
                f"{who}'s gradient norm is {value:.3g} (running median {med:.3g})",
                "lower the learning rates, clip gradients, or add spectral norm / a gradient penalty",
                self.name,
                {f"grad_norm_{net}": value, "running_median": med, "threshold": c.absolute},
            )
        ]


def build(config: ExplodingGradientConfig | None = None) -> ExplodingGradient:
    """Registry builder."""
    return ExplodingGradient(config)
