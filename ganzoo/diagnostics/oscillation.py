"""``oscillation``: losses and D's outputs cycle instead of settling (Mescheder et al. 2018)."""

from __future__ import annotations

import math
from collections import deque
from typing import ClassVar

from pydantic import Field

from ganzoo.diagnostics._base import Debouncer, DiagnosticConfig, make_alarm
from ganzoo.events import Alarm, StepRecord
from ganzoo.interfaces import Diagnostic

SIGNALS = ("d_fake", "loss_g")


class OscillationConfig(DiagnosticConfig):
    """Thresholds of the oscillation detector."""

    window: int = Field(48, ge=12, description="Records analysed (the last ``window``).")
    acf: float = Field(0.4, gt=0, lt=1, description="|autocorrelation| at the trough and peak.")
    damping: float = Field(0.5, gt=0, le=1, description="Min ratio of late/early amplitude.")
    min_amplitude: float = Field(
        0.05, ge=0, description="Min std of the detrended signal (raw units)."
    )
    every: int = Field(4, ge=1, description="Analyse every this many records.")
    patience: int = Field(2, ge=1, description="Analyses in a row that must find a cycle.")


def _detrend(values: list[float]) -> list[float]:
    n = len(values)
    xm = (n - 1) / 2
    ym = sum(values) / n
    sxx = sum((i - xm) ** 2 for i in range(n))
    slope = sum((i - xm) * (v - ym) for i, v in enumerate(values)) / sxx
    return [v - ym - slope * (i - xm) for i, v in enumerate(values)]


def _acf(x: list[float], lag: int) -> float:
    n = len(x)
    den = sum(v * v for v in x)
    if den <= 0:
        return 0.0
    return sum(x[i] * x[i + lag] for i in range(n - lag)) / den * n / (n - lag)


def periodicity(values: list[float], acf_threshold: float) -> tuple[float, float, int]:
    """``(trough, peak, period)`` of the detrended series' autocorrelation: a cycle shows a trough
    below ``-acf_threshold`` followed by a peak above ``acf_threshold`` (period = peak lag, 0 when
    none)."""
    x = _detrend(values)
    n = len(x)
    trough, trough_lag = 1.0, 0
    for lag in range(2, n // 2 + 1):
        a = _acf(x, lag)
        if a < trough:
            trough, trough_lag = a, lag
    if trough > -acf_threshold:
        return trough, 0.0, 0
    peak, peak_lag = -1.0, 0
    for lag in range(trough_lag + 1, min(n - 4, 3 * trough_lag) + 1):
        a = _acf(x, lag)
        if a > peak:
            peak, peak_lag = a, lag
    return trough, peak, peak_lag if peak >= acf_threshold else 0


class Oscillation(Diagnostic):
    """Alarms when D's mean score on fakes or G's loss cycles with an undamped period inside the
    last ``window`` records (autocorrelation trough then peak beyond +-0.4)."""

    name: ClassVar[str] = "oscillation"

    def __init__(self, config: OscillationConfig | None = None) -> None:
        self.config = config or OscillationConfig()
        self.history: dict[str, deque[float]] = {
            s: deque(maxlen=self.config.window) for s in SIGNALS
        }
        self.steps: deque[int] = deque(maxlen=self.config.window)
        self.count = 0
        self.streak = 0
        self.debounce = Debouncer(self.config.cooldown, self.config.clear_after)

    def on_step(self, record: StepRecord) -> list[Alarm]:
        c = self.config
        for s in SIGNALS:
            v = float(getattr(record, s))
            self.history[s].append(v if math.isfinite(v) else 0.0)
        self.steps.append(record.step)
        self.count += 1
        if len(self.steps) < c.window or self.count % c.every:
            return []
        found = None
        for s in SIGNALS:
            values = list(self.history[s])
            x = _detrend(values)
            half = len(x) // 2
            early = math.sqrt(sum(v * v for v in x[:half]) / half)
            late = math.sqrt(sum(v * v for v in x[half:]) / (len(x) - half))
            if late < c.min_amplitude or late < c.damping * early:
                continue
            trough, peak, period = periodicity(values, c.acf)
            if period:
                found = (s, trough, peak, period, late)
                break
        self.streak = self.streak + 1 if found else 0
        severity = "warning" if found and self.streak >= c.patience else None
        if not self.debounce.update(record.step, severity):
            return []
        assert found is not None
        s, trough, peak, period, amp = found
        span = (self.steps[-1] - self.steps[0]) / max(len(self.steps) - 1, 1)
        return [
            make_alarm(
                "oscillation",
                record.step,
                "warning",
                f"{s} cycles with a period of about {period * span:.0f} steps "
                f"(autocorrelation {trough:.2f} / {peak:.2f}, amplitude {amp:.3g}) and does not damp",
                "add a zero-centred gradient penalty (R1) or lower the learning rates",
                self.name,
                {
                    "period_steps": period * span,
                    "acf_trough": trough,
                    "acf_peak": peak,
                    "amplitude": amp,
                },
            )
        ]


def build(config: OscillationConfig | None = None) -> Oscillation:
    """Registry builder."""
    return Oscillation(config)
