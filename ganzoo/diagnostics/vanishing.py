"""``vanishing-gradient``: G's gradient collapses while D wins (Arjovsky & Bottou 2017)."""

from __future__ import annotations

import math
from typing import ClassVar

from ganzoo.diagnostics._base import Debouncer, RunningMedian, make_alarm
from ganzoo.diagnostics.configs import VanishingGradientConfig
from ganzoo.events import Alarm, StepRecord
from ganzoo.interfaces import Diagnostic


class VanishingGradient(Diagnostic):
    """Detects vanishing gradients of G.

    Alarms when G's total (or a layer's) gradient norm falls below 1% of its running median,
    or, under a loss that declares a saturating G objective on logits (minimax), when mean
    D(G(z)) stays below 0.01 (G's gradient scales with it): a warning after ``patience`` records,
    critical with a collapsed norm or after 3x ``patience`` records of saturation.
    """

    name: ClassVar[str] = "vanishing-gradient"
    wants_layer_grad_norms: ClassVar[bool] = True

    def __init__(self, config: VanishingGradientConfig | None = None) -> None:
        self.config = config or VanishingGradientConfig()
        self.total = RunningMedian(self.config.window)
        self.layers: dict[str, RunningMedian] = {}
        self.streak = 0
        self.saturated_streak = 0
        self.debounce = Debouncer(self.config.cooldown, self.config.clear_after)

    def on_step(self, record: StepRecord) -> list[Alarm]:
        """Check G's gradient norms (total and per layer) and, for a saturating loss, D(G(z))."""
        c = self.config
        gn = record.grad_norm_g
        ready = len(self.total) >= c.warmup
        median = self.total.median
        collapsed = ready and math.isfinite(gn) and gn < c.ratio * median
        low_layers = []
        for name, value in record.grad_norms_g.items():
            hist = self.layers.setdefault(name, RunningMedian(c.window))
            if len(hist) >= c.warmup and math.isfinite(value) and value < c.ratio * hist.median:
                low_layers.append((name, value, hist.median))
            elif math.isfinite(value) and not collapsed:
                hist.add(value)
        # only a saturating objective loses G's gradient with D(G(z)) -> 0, and only logits give
        # D(G(z)) as a probability to measure it by
        measurable = record.saturating and record.scores == "logits"
        saturated = measurable and math.isfinite(record.p_fake) and record.p_fake < c.p_fake
        if not collapsed and math.isfinite(gn):
            self.total.add(gn)  # collapsed values stay out, so the median remembers health
        hit = collapsed or saturated or bool(low_layers)
        self.streak = self.streak + 1 if hit else 0
        self.saturated_streak = self.saturated_streak + 1 if saturated else 0
        severity = None
        if self.streak >= c.patience:
            # D(G(z)) < 0.01 for 3x patience records is critical even when G's norm never had a
            # healthy median to fall from (D saturated within the warm-up), as d-overpowering
            # escalates after 3x its patience
            lasting = self.saturated_streak >= 3 * c.patience
            severity = (
                "critical" if collapsed or (saturated and low_layers) or lasting else "warning"
            )
        if not self.debounce.update(record.step, severity):
            return []
        evidence = {"grad_norm_g": gn, "running_median": median, "p_fake": record.p_fake}
        parts = []
        if collapsed:
            parts.append(f"G's gradient norm {gn:.3g} is {gn / median:.2%} of its running median")
        if low_layers:
            worst = min(low_layers, key=lambda t: t[1] / t[2])
            evidence["layers_collapsed"] = float(len(low_layers))
            evidence["worst_layer_ratio"] = worst[1] / worst[2]
            parts.append(f"{len(low_layers)} layer(s) below 1% of their median (worst {worst[0]})")
        if saturated:
            parts.append(
                f"mean D(G(z)) = {record.p_fake:.3g} < {c.p_fake} under the "
                f"{record.loss_name or 'saturating'} loss for {self.saturated_streak} records"
            )
        suggestion = (
            "switch to the non-saturating loss"
            if record.saturating  # G's objective itself starves G when D wins
            else "lower D's learning rate or add a gradient penalty (R1/GP) so D stops saturating"
        )
        assert severity is not None
        return [
            make_alarm(
                "vanishing-gradient",
                record.step,
                severity,
                "; ".join(parts),
                suggestion,
                self.name,
                evidence,
            )
        ]


def build(config: VanishingGradientConfig | None = None) -> VanishingGradient:
    """Registry builder."""
    return VanishingGradient(config)
