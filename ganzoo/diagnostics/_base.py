"""Shared pieces of the built-in diagnostics: debouncing, running statistics, alarms.

Their configs live in the torch-free ``ganzoo.diagnostics.configs``.

Nothing here syncs with a device: record-based detectors work on the plain floats of a
``StepRecord``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

from ganzoo.events import Alarm, Severity

_RANK = {"info": 0, "warning": 1, "critical": 2}


class Debouncer:
    """Fires once per episode of a condition, not on every check.

    An episode starts when the condition first holds and ends after ``clear_after`` clean checks
    in a row. Within an episode, or within ``cooldown`` steps of the last alarm, it fires again only
    when the severity rises (warning -> critical).
    """

    def __init__(self, cooldown: int, clear_after: int) -> None:
        self.cooldown = cooldown
        self.clear_after = clear_after
        self.in_episode = False
        self.clean = 0
        self.last_step: int | None = None
        self.last_rank = -1

    def update(self, step: int, severity: Severity | None) -> bool:
        """Feed one check (``severity`` None: the condition does not hold); True means fire now."""
        if severity is None:
            self.clean += 1
            if self.clean >= self.clear_after:
                self.in_episode = False
            return False
        self.clean = 0
        rank = _RANK[severity]
        cooling = self.last_step is not None and step - self.last_step < self.cooldown
        ongoing = self.in_episode or cooling
        self.in_episode = True
        if ongoing and rank <= self.last_rank:
            return False
        self.last_step = step
        self.last_rank = max(rank, self.last_rank) if ongoing else rank
        return True


class RunningMedian:
    """Median of the last ``window`` accepted values (a plain deque; records are sparse)."""

    def __init__(self, window: int) -> None:
        self.values: deque[float] = deque(maxlen=window)

    def add(self, value: float) -> None:
        if math.isfinite(value):
            self.values.append(value)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def peak(self) -> float:
        """The largest value in the window (NaN when empty)."""
        return max(self.values) if self.values else float("nan")

    @property
    def median(self) -> float:
        if not self.values:
            return float("nan")
        s = sorted(self.values)
        n = len(s)
        return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def finite(values: Iterable[float]) -> bool:
    """Whether every value is a finite float (NaN counts as missing, not as non-finite)."""
    return all(math.isfinite(v) for v in values)


def make_alarm(
    kind: str,
    step: int,
    severity: Severity,
    message: str,
    suggestion: str,
    source: str,
    evidence: dict[str, float],
) -> Alarm:
    """An ``Alarm`` with evidence rounded to readable floats."""
    clean = {k: float(f"{float(v):.6g}") for k, v in evidence.items()}
    return Alarm(kind, step, severity, message, suggestion, source, clean)
