"""Scoring: precision, recall, false alarms per 10k healthy steps and detection delays."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.diagnostics.scenarios import RunResult


@dataclass
class DetectorScore:
    """Tallies of one detector over all runs that watched it."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    healthy_steps: int = 0
    delays: list[int] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def false_per_10k(self) -> float:
        return 1e4 * self.fp / self.healthy_steps if self.healthy_steps else float("nan")

    def delay(self, q: float) -> float:
        if not self.delays:
            return float("nan")
        s = sorted(self.delays)
        return float(s[min(len(s) - 1, int(q * len(s)))])


def score(runs: list[RunResult]) -> dict[str, DetectorScore]:
    """Per detector: a run where it is expected counts one TP (first alarm at or after the onset)
    or one FN; every alarm before the onset, in a run without a failure, or of a detector neither
    expected nor tolerated there, counts as a false alarm. Healthy steps: whole runs without a
    failure plus the steps before each onset."""
    out: dict[str, DetectorScore] = {}
    for run in runs:
        for det in run.detectors:
            sc = out.setdefault(det, DetectorScore())
            mine = sorted(step for src, step in run.alarms if src == det)
            onset = run.onset
            sc.healthy_steps += run.steps if onset is None else onset
            if det in run.expected and onset is not None:
                after = [s for s in mine if s >= onset]
                if after:
                    sc.tp += 1
                    sc.delays.append(after[0] - onset)
                else:
                    sc.fn += 1
                sc.fp += sum(1 for s in mine if s < onset)
            elif det in run.tolerated and onset is not None:
                sc.fp += sum(1 for s in mine if s < onset)
            elif det not in run.tolerated:
                sc.fp += len(mine)
    return out
