"""``mode-collapse`` (labelled): the class histogram of generated samples (VEEGAN / PacGAN)."""

from __future__ import annotations

import math
from collections import deque
from typing import ClassVar

import torch
from torch import Tensor

from ganzoo.diagnostics._base import Debouncer, make_alarm
from ganzoo.diagnostics._samples import labelling
from ganzoo.diagnostics.configs import ModeCollapseConfig
from ganzoo.events import Alarm
from ganzoo.interfaces import Diagnostic

SUGGESTION = (
    "pack D's inputs (PacGAN) or add minibatch features, lower G's learning rate, "
    "or restart from an earlier checkpoint"
)


def collapse_alarm(
    source: str, step: int, severity: str, detail: str, evidence: dict[str, float]
) -> Alarm:
    """A ``mode-collapse`` alarm.

    Full collapse when critical, else partial; ``detail`` says what was seen.
    """
    what = "full mode collapse" if severity == "critical" else "partial mode collapse"
    return make_alarm(
        "mode-collapse",
        step,
        severity,  # type: ignore[arg-type]
        f"{what}{detail}",
        SUGGESTION,
        source,
        evidence,
    )


def histogram_stats(counts: Tensor, share: float) -> tuple[int, float]:
    """Mode coverage and KL to uniform of a mode histogram.

    Returns ``(modes covered, KL(hist || uniform))`` of ``counts``; a mode is covered with at
    least ``share`` of its uniform expectation.
    """
    n = float(counts.sum())
    m = counts.numel()
    covered = int((counts >= max(1.0, share * n / m)).sum())
    p = counts.double() / max(n, 1.0)
    nz = p > 0
    kl = float((p[nz] * (p[nz] * m).log()).sum())
    return covered, kl


def p_missing_modes(n: int, num_modes: int, missing: int, weak: float) -> float:
    """Upper bound on P(``n`` samples miss ``missing`` or more of ``num_modes`` modes).

    Holds for any generator that gives every mode at least ``weak`` times its uniform share
    (1/M): a given set of j modes is all missed with probability <= (1 - j weak / M)^n, and
    there are C(M, j) such sets (union bound). ``weak`` < 1 allows the uneven histograms of
    healthy models (a 1-epoch DCGAN's weakest digits get a quarter of their share).
    """
    if missing <= 0:
        return 1.0
    base = 1.0 - missing * weak / num_modes
    if base <= 0:
        return 0.0
    log_p = math.log(math.comb(num_modes, missing)) + n * math.log(base)
    return float(min(1.0, math.exp(log_p)))


class ModeCollapse(Diagnostic):
    """Detects mode collapse by counting the modes the generated samples hit.

    Few modes in one batch is a full collapse (critical); missing modes or
    KL(histogram || uniform) > 0.1 over a window is partial (warning).
    """

    name: ClassVar[str] = "mode-collapse"
    wants_samples: ClassVar[bool] = True

    def __init__(self, config: ModeCollapseConfig | None = None) -> None:
        self.config = config or ModeCollapseConfig()
        self.window: deque[Tensor] = deque(maxlen=self.config.max_window)
        self.debounce = Debouncer(self.config.cooldown, self.config.clear_after)
        self.method = ""

    def check(self, step: int, labels: Tensor, num_modes: int, total: int) -> list[Alarm]:
        """Judge one batch of mode ``labels`` (-1: in no mode) out of ``total`` samples."""
        c = self.config
        good = labels[labels >= 0].long().cpu()
        if good.numel() == 0:
            return []
        counts = torch.bincount(good, minlength=num_modes)[:num_modes]
        # every labelled sample counts, even from a batch with few of them: when few samples
        # land near any mode (a spread-out G on grid-25), the window is all there is to judge
        self.window.append(counts)
        covered_now, _ = histogram_stats(counts, c.share)
        acc = torch.zeros(num_modes, dtype=torch.long)
        for h in reversed(self.window):
            acc += h
            if int(acc.sum()) >= c.per_mode * num_modes:
                break
        # Partial collapse is judged on >= per_mode samples per mode: a 64-sample grid over 10
        # classes gives a uniform G a class with <= 1 sample in 10% of grids, and a weak but
        # present class (2.5% of a 1-epoch DCGAN's samples) falls below 10% of its share in
        # about 5% of 256-sample windows (see docs/diagnostics.md).
        n = int(acc.sum())
        enough = n >= c.per_mode * num_modes
        covered, kl = histogram_stats(acc, c.share)
        few = max(1, math.floor(c.full_fraction * num_modes))
        severity = None
        p_bound = float("nan")
        if good.numel() >= c.min_samples and covered_now <= few:
            severity, covered = "critical", covered_now
        elif enough and (covered < num_modes or kl > c.kl):
            severity = "warning"
        elif not enough and n >= max(c.min_samples, num_modes):
            # Fewer labelled samples than the rule above wants: judge what is there by how
            # unlikely so many modes missed would be for a generator that gives every mode at
            # least weak_share of its share (the p-value bound; a mode is hit at least once)
            hit = int((acc > 0).sum())
            if hit < num_modes:
                p_bound = p_missing_modes(n, num_modes, num_modes - hit, c.weak_share)
                if p_bound < c.alpha:
                    severity, covered = "warning", hit
        if not self.debounce.update(step, severity):
            return []
        sure = ""
        if math.isfinite(p_bound):
            sure = (
                f"; judged on only {n} labelled samples: a generator giving every mode >= "
                f"{c.weak_share:g} of its share misses {num_modes - covered} with probability "
                f"<= {p_bound:.2g} (confidence {1 - p_bound:.2%})"
            )
        evidence = {
            "modes_covered": float(covered),
            "num_modes": float(num_modes),
            "kl_uniform": kl,
            "labelled_fraction": good.numel() / max(total, 1),
            "samples": float(n),
        }
        if math.isfinite(p_bound):
            evidence["p_bound"] = p_bound
        return [
            collapse_alarm(
                self.name,
                step,
                severity,
                f": samples cover {covered} of {num_modes} modes, "
                f"KL(hist || uniform) = {kl:.3f} (labels: {self.method}){sure}",
                evidence,
            )
        ]

    def on_samples(self, step: int, samples: Tensor, context: dict[str, object]) -> list[Alarm]:
        """Count the modes the samples hit (nothing when the data set has no modes to count).

        With the run's generator in ``context``, ``config.fresh`` more samples of fresh latents
        (seeded by ``step``, so a rerun draws the same) join the grid: a grid is the same 64
        latents at every check, and a window of several grids mixes G's of different steps
        (the general benchmark saw partial-collapse warnings on such windows of a healthy G).
        """
        lab = labelling(context)
        if lab is None:
            return []
        self.method = lab.method
        g = context.get("generator")
        with torch.no_grad():
            labels = lab.fn(samples)
            if g is not None and self.config.fresh > 0:
                more = g.sample(self.config.fresh, seed=step).float()  # type: ignore[attr-defined]
                labels = torch.cat([labels.cpu(), lab.fn(more).cpu()])
        return self.check(step, labels, lab.num_modes, labels.shape[0])


def build(config: ModeCollapseConfig | None = None) -> ModeCollapse:
    """Registry builder."""
    return ModeCollapse(config)
