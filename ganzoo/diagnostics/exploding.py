"""``exploding-gradient``: non-finite gradient norms, or norms far above the run's own history.

Scale-aware: a norm is judged only against the same network's earlier norms in the same run (the
highest of the last ``window`` accepted ones), once ``warmup`` finite ones exist (no verdict
before: a critic's gradient norm is large from the first step by design), and never against a
non-finite statistic. The peak, not the median, is the yardstick: a D that saturated for a while
(norms near 1) and then fought back to its earlier level (norms near 100) has a median from the
saturated phase, and 10x that median is no explosion (the default DCGAN on MNIST does this in
its first 1,000 steps); 10x anything the run has seen lately is. The
absolute floor (ganhacks' "grad norms above ~100") depends on the kind of scores the loss
declares (``StepRecord.scores``, read from ``LossSpec.scores``): logits keep 100; a critic's
scores, and with them its gradients, have no fixed scale, so it gets ``critic_absolute``.
"""

from __future__ import annotations

import math
from typing import ClassVar

from ganzoo.diagnostics._base import Debouncer, RunningMedian, make_alarm
from ganzoo.diagnostics.configs import ExplodingGradientConfig
from ganzoo.events import Alarm, StepRecord
from ganzoo.interfaces import Diagnostic


class ExplodingGradient(Diagnostic):
    """Detects exploding gradients of G or D.

    Alarms on an infinite gradient norm, or a NaN one after finite ones (critical, at once), or,
    once ``warmup`` finite norms exist, on a norm above the loss kind's absolute floor and 10x
    the highest of the last ``window`` accepted norms for ``patience`` records (warning;
    critical above 100x).
    """

    name: ClassVar[str] = "exploding-gradient"

    def __init__(self, config: ExplodingGradientConfig | None = None) -> None:
        self.config = config or ExplodingGradientConfig()
        self.history = {
            "g": RunningMedian(self.config.window),
            "d": RunningMedian(self.config.window),
        }
        self.streak = 0
        self.debounce = Debouncer(self.config.cooldown, self.config.clear_after)

    def floor(self, record: StepRecord) -> float:
        """The absolute norm above which trouble starts, by the loss's declared score kind."""
        c = self.config
        return c.critic_absolute if record.scores == "critic" else c.absolute

    def on_step(self, record: StepRecord) -> list[Alarm]:
        """Check G's and D's gradient norms against their running medians."""
        c = self.config
        floor = self.floor(record)
        norms = {"g": record.grad_norm_g, "d": record.grad_norm_d}
        severity = None
        worst = ("", 0.0, float("nan"), float("nan"))
        for net, value in norms.items():
            hist = self.history[net]
            if math.isinf(value) or (math.isnan(value) and len(hist) > 0):
                severity, worst = "critical", (net, value, hist.peak, hist.median)
                break
            if not math.isfinite(value):
                continue  # NaN before any finite norm: not measured
            peak = hist.peak
            # no verdict without a finite, positive history of enough records: never compare
            # against NaN (an empty history) or judge a critic's large first norms
            if len(hist) < c.warmup or not math.isfinite(peak) or peak <= 0:
                hist.add(value)
                continue
            if value > floor and value > c.relative * peak:
                level = "critical" if value > c.critical_relative * peak else "warning"
                if severity != "critical":
                    severity, worst = level, (net, value, peak, hist.median)
            else:
                hist.add(value)  # outliers stay out, so the history remembers health
        self.streak = self.streak + 1 if severity else 0
        if severity == "warning" and self.streak < c.patience:
            severity = None
        if not self.debounce.update(record.step, severity):
            return []
        net, value, peak, med = worst
        who = "G" if net == "g" else "D"
        history = (
            f"{value / peak:.3g}x its recent peak {peak:.3g}, running median {med:.3g}"
            if math.isfinite(peak)
            else "no finite history"
        )
        evidence = {f"grad_norm_{net}": value, "threshold": floor}
        if math.isfinite(peak):
            evidence["recent_peak"] = peak
            evidence["running_median"] = med
        return [
            make_alarm(
                "exploding-gradient",
                record.step,
                severity,  # type: ignore[arg-type]
                f"{who}'s gradient norm is {value:.3g} ({history})",
                "lower the learning rates, clip gradients, or add spectral norm / a gradient penalty",
                self.name,
                evidence,
            )
        ]


def build(config: ExplodingGradientConfig | None = None) -> ExplodingGradient:
    """Registry builder."""
    return ExplodingGradient(config)
