"""``oscillation``: losses and D's outputs cycle instead of settling (Mescheder et al. 2018).

The test, on each of D's mean score on fakes and G's loss over the last 16-48 records: remove the
linear trend, fit the best single sinusoid with a period of 4 records to half the window (so at
least two whole cycles are in view), and call it a cycle when that sinusoid explains >= 80% of the
detrended variance, its amplitude has not decayed (late half >= half the early half) and is
>= ``min_amplitude``, in ``patience`` analyses in a row. White noise leaves about 2/n of the
variance to any one frequency; a random walk, detrended, concentrates it at the longest periods,
which the two-cycle limit excludes. The evidence reports the autocorrelation at the period (the
standard biased estimator, sum x_t x_{t+k} / sum x_t^2, so it lies in [-1, 1]).
"""

from __future__ import annotations

import math
from collections import deque
from functools import lru_cache
from typing import ClassVar

from ganzoo.diagnostics._base import Debouncer, make_alarm
from ganzoo.diagnostics.configs import OscillationConfig
from ganzoo.events import Alarm, StepRecord
from ganzoo.interfaces import Diagnostic

SIGNALS = ("d_fake", "loss_g")


def detrend(values: list[float]) -> list[float]:
    """``values`` minus their least-squares line."""
    n = len(values)
    xm = (n - 1) / 2
    ym = sum(values) / n
    sxx = sum((i - xm) ** 2 for i in range(n))
    slope = sum((i - xm) * (v - ym) for i, v in enumerate(values)) / sxx
    return [v - ym - slope * (i - xm) for i, v in enumerate(values)]


def acf(x: list[float], lag: int) -> float:
    """Autocorrelation of ``x`` at ``lag``.

    The standard biased estimator sum_t x_t x_{t+lag} / sum_t x_t^2 (``x`` has its mean removed
    already), which stays within [-1, 1].
    """
    den = sum(v * v for v in x)
    if den <= 0 or lag >= len(x):
        return 0.0
    return sum(x[i] * x[i + lag] for i in range(len(x) - lag)) / den


@lru_cache(maxsize=64)
def _bases(n: int, min_period: float, max_period: float) -> tuple[tuple, ...]:
    """The sinusoid bases of every trial period.

    Per trial period (geometric grid, 4% apart): the period, cos and sin columns, and the
    inverse of their 2x2 Gram matrix.
    """
    out = []
    p = min_period
    while p <= max_period + 1e-9:
        w = 2 * math.pi / p
        c = [math.cos(w * i) for i in range(n)]
        s = [math.sin(w * i) for i in range(n)]
        cc, ss = sum(v * v for v in c), sum(v * v for v in s)
        cs = sum(a * b for a, b in zip(c, s, strict=True))
        det = cc * ss - cs * cs
        if det > 1e-9:
            out.append((p, c, s, ss / det, -cs / det, cc / det))
        p *= 1.04
    return tuple(out)


def best_sinusoid(x: list[float], min_period: float, max_period: float) -> tuple[float, float]:
    """The best-fitting sinusoid of a series.

    Returns ``(share of variance explained, period)`` of the least-squares sinusoid that best
    fits the detrended series ``x`` among periods in [min_period, max_period] records.
    """
    total = sum(v * v for v in x)
    best = (0.0, 0.0)
    if total <= 0 or max_period < min_period:
        return best
    for p, c, s, i11, i12, i22 in _bases(len(x), min_period, round(max_period, 6)):
        xc = sum(a * b for a, b in zip(x, c, strict=True))
        xs = sum(a * b for a, b in zip(x, s, strict=True))
        # fitted a, b = G^-1 (xc, xs); explained sum of squares = a*xc + b*xs
        a, b = i11 * xc + i12 * xs, i12 * xc + i22 * xs
        share = (a * xc + b * xs) / total
        if share > best[0]:
            best = (share, p)
    return best


class Oscillation(Diagnostic):
    """Detects oscillating training (D's scores or G's loss cycling without damping).

    Alarms when D's mean score on fakes or G's loss follows an undamped sinusoid (>= 80% of its
    detrended variance, >= 2 cycles in view) over the last 16-48 records.
    """

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

    def analyse(self, values: list[float]) -> tuple[float, float, float] | None:
        """``(explained share, period in records, amplitude)`` when ``values`` cycle, else None."""
        c = self.config
        x = detrend(values)
        half = len(x) // 2
        early = math.sqrt(sum(v * v for v in x[:half]) / half)
        late = math.sqrt(sum(v * v for v in x[half:]) / (len(x) - half))
        if late < c.min_amplitude or late < c.damping * early:
            return None
        share, period = best_sinusoid(x, c.min_period, len(x) / c.cycles)
        return (share, period, late) if share >= c.explained else None

    def on_step(self, record: StepRecord) -> list[Alarm]:
        """Add the record's signals to their windows; every ``every`` records, fit sinusoids."""
        c = self.config
        for s in SIGNALS:
            v = float(getattr(record, s))
            self.history[s].append(v if math.isfinite(v) else 0.0)
        self.steps.append(record.step)
        self.count += 1
        if len(self.steps) < c.min_records or self.count % c.every:
            return []
        found = None
        for s in SIGNALS:
            hit = self.analyse(list(self.history[s]))
            if hit is not None:
                found = (s, *hit)
                break
        self.streak = self.streak + 1 if found else 0
        severity = "warning" if found and self.streak >= c.patience else None
        if not self.debounce.update(record.step, severity):
            return []
        assert found is not None
        s, share, period, amp = found
        span = (self.steps[-1] - self.steps[0]) / max(len(self.steps) - 1, 1)
        r = acf(detrend(list(self.history[s])), round(period))
        return [
            make_alarm(
                "oscillation",
                record.step,
                "warning",
                f"{s} cycles with a period of about {period * span:.0f} steps (a sinusoid "
                f"explains {share:.0%} of its variance, amplitude {amp:.3g}) and does not damp",
                "add a zero-centred gradient penalty (R1) or lower the learning rates",
                self.name,
                {
                    "period_steps": period * span,
                    "explained": share,
                    "acf_at_period": r,
                    "amplitude": amp,
                    "records": float(len(self.steps)),
                },
            )
        ]


def build(config: OscillationConfig | None = None) -> Oscillation:
    """Registry builder."""
    return Oscillation(config)
