"""``sample-diversity`` (label-free): spread, duplicates and coverage of samples against real data.

Three numbers on flattened samples (points or pixels) and an equally large real batch:

* diversity ratio: mean pairwise distance of generated samples / of real ones (~1 when healthy);
* duplicates: share of generated samples whose nearest generated neighbour is closer than the
  1st percentile of real nearest-neighbour distances (the birthday-paradox test of Arora & Zhang
  2017, automated);
* coverage: share of real samples with a generated sample inside their k=5 nearest-neighbour ball
  (Naeem et al. 2020, healthy ~0.97), the ball widened to the generated samples' median distance to
  the data so that blurry-but-complete samples are not mistaken for collapse.

Coverage thresholds depend on the space. On the 2-D mixtures healthy samples score 0.95-0.98 on
1,000 samples and 7 of 8 ring modes 0.83-0.88, so < 0.9 is partial collapse. In pixel space the
zoo's healthy pretrained MNIST models score 0.67-0.85 on 1,000 samples (blurry samples sit far from
every real image), no better than real images from 5 of 10 classes (0.69-0.78), so only < 0.6 is
judged there (1 class: 0.24-0.55 on 256-1,000 samples; 2 classes: 0.40-0.72).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from ganzoo.diagnostics._base import Debouncer
from ganzoo.diagnostics._samples import reference_batch
from ganzoo.diagnostics.configs import SampleDiversityConfig
from ganzoo.diagnostics.mode_collapse import collapse_alarm
from ganzoo.events import Alarm
from ganzoo.interfaces import Diagnostic

_REAL: dict[tuple[int, tuple[int, ...], int], dict[str, Tensor]] = {}


def _real_stats(real: Tensor, k: int) -> dict[str, Tensor]:
    """What only depends on the real batch (cached per batch: the reference batch is fixed)."""
    key = (real.data_ptr(), tuple(real.shape), k)
    if key not in _REAL:
        if len(_REAL) > 8:
            _REAL.clear()
        m = real.shape[0]
        d_rr = torch.cdist(real, real)
        masked = d_rr.masked_fill(torch.eye(m, dtype=torch.bool, device=real.device), float("inf"))
        _REAL[key] = {
            "mean": d_rr.sum() / (m * (m - 1)),
            "dup": torch.quantile(masked.min(1).values, 0.01),
            "radius": masked.kthvalue(min(k, m - 1), 1).values,
            "ref": real,  # keeps the storage (and so the key) alive while cached
        }
    return _REAL[key]


def diversity_stats(fake: Tensor, real: Tensor, k: int = 5) -> dict[str, float]:
    """``ratio``, ``duplicates`` and ``coverage`` of flattened ``fake`` against ``real``."""
    fake = fake.flatten(1).float()
    real = real.flatten(1).float().to(fake.device)
    n = fake.shape[0]
    r = _real_stats(real, k)
    d_ff = torch.cdist(fake, fake)
    d_rf = torch.cdist(real, fake)
    ratio = float(d_ff.sum() / (n * (n - 1))) / max(float(r["mean"]), 1e-12)
    eye_f = torch.eye(n, dtype=torch.bool, device=fake.device)
    nn_ff = d_ff.masked_fill(eye_f, float("inf")).min(1).values
    duplicates = float((nn_ff <= r["dup"]).float().mean())
    q = d_rf.min(0).values.median()
    coverage = float((d_rf.min(1).values <= torch.maximum(r["radius"], q)).float().mean())
    return {"ratio": ratio, "duplicates": duplicates, "coverage": coverage}


class SampleDiversity(Diagnostic):
    """Label-free collapse detector, from the diversity of the samples themselves.

    Diversity ratio < 0.1 or > 50% duplicates is a full collapse
    (critical); coverage < 0.8 or diversity ratio < 0.5 is a partial collapse (warning).
    """

    name: ClassVar[str] = "sample-diversity"
    wants_samples: ClassVar[bool] = True

    def __init__(self, config: SampleDiversityConfig | None = None) -> None:
        self.config = config or SampleDiversityConfig()
        self.debounce = Debouncer(self.config.cooldown, self.config.clear_after)

    def check(self, step: int, fake: Tensor, real: Tensor) -> list[Alarm]:
        """Judge generated ``fake`` against ``real`` (both flattened or not)."""
        c = self.config
        if fake.shape[0] < c.min_samples:
            return []
        s = diversity_stats(fake[: c.max_samples], real[: c.max_samples], c.k)
        low_dim = fake[0].numel() <= c.coverage_max_dim
        floor = c.coverage if low_dim else c.coverage_high_dim
        severity = None
        if s["ratio"] < c.full_ratio or s["duplicates"] > c.full_duplicates:
            severity = "critical"
        elif s["coverage"] < floor or s["ratio"] < c.partial_ratio:
            severity = "warning"
        if not self.debounce.update(step, severity):
            return []
        return [
            collapse_alarm(
                self.name,
                step,
                severity,
                f" (label-free): diversity {s['ratio']:.2f} of real, "
                f"{s['duplicates']:.0%} near-duplicates, coverage {s['coverage']:.2f}",
                {**s, "samples": float(min(fake.shape[0], c.max_samples))},
            )
        ]

    def on_samples(self, step: int, samples: Tensor, context: dict[str, object]) -> list[Alarm]:
        """Compare the samples' diversity and coverage with real samples of the run's data."""
        n = min(samples.shape[0], self.config.max_samples)
        real = reference_batch(context, max(n, self.config.min_samples))
        if real is None:
            return []
        with torch.no_grad():
            return self.check(step, samples[:n].detach(), real)


def build(config: SampleDiversityConfig | None = None) -> SampleDiversity:
    """Registry builder."""
    return SampleDiversity(config)
