"""``sample-diversity`` (label-free): spread, duplicates and coverage of samples against real data.

Three numbers on flattened samples (points or pixels) and an equally large real batch:

* diversity ratio: mean pairwise distance of generated samples / of real ones (~1 when healthy);
* duplicates: share of generated samples whose nearest generated neighbour is closer than the
  1st percentile of real nearest-neighbour distances (the birthday-paradox test of Arora & Zhang
  2017, automated);
* coverage: share of real samples with a generated sample inside their k=5 nearest-neighbour ball
  (Naeem et al. 2020, healthy ~0.97), the ball widened to the generated samples' median distance to
  the data so that blurry-but-complete samples are not mistaken for collapse.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import Tensor

from ganzoo.diagnostics._base import Debouncer, DiagnosticConfig, make_alarm
from ganzoo.diagnostics._samples import reference_batch
from ganzoo.diagnostics.mode_collapse import SUGGESTION
from ganzoo.events import Alarm
from ganzoo.interfaces import Diagnostic


class SampleDiversityConfig(DiagnosticConfig):
    """Thresholds of the label-free collapse detector."""

    full_ratio: float = Field(0.1, gt=0, lt=1, description="Full collapse: diversity ratio below.")
    full_duplicates: float = Field(0.5, gt=0, le=1, description="Full collapse: duplicates above.")
    coverage: float = Field(0.8, gt=0, lt=1, description="Partial collapse: coverage below.")
    partial_ratio: float = Field(0.5, gt=0, lt=1, description="Partial collapse: ratio below.")
    k: int = Field(5, ge=1, description="Neighbours of the coverage balls (Naeem 2020: 5).")
    max_samples: int = Field(1000, ge=16, description="Samples used per check (cost cap).")
    min_samples: int = Field(32, ge=8, description="Fewer samples: no verdict.")


def diversity_stats(fake: Tensor, real: Tensor, k: int = 5) -> dict[str, float]:
    """``ratio``, ``duplicates`` and ``coverage`` of flattened ``fake`` against ``real``."""
    fake = fake.flatten(1).float()
    real = real.flatten(1).float().to(fake.device)
    n, m = fake.shape[0], real.shape[0]
    d_ff = torch.cdist(fake, fake)
    d_rr = torch.cdist(real, real)
    d_rf = torch.cdist(real, fake)
    ratio = float(d_ff.sum() / (n * (n - 1))) / max(float(d_rr.sum() / (m * (m - 1))), 1e-12)
    eye_f = torch.eye(n, dtype=torch.bool, device=fake.device)
    eye_r = torch.eye(m, dtype=torch.bool, device=fake.device)
    nn_ff = d_ff.masked_fill(eye_f, float("inf")).min(1).values
    nn_rr = d_rr.masked_fill(eye_r, float("inf")).min(1).values
    dup_threshold = torch.quantile(nn_rr, 0.01)
    duplicates = float((nn_ff <= dup_threshold).float().mean())
    radius = d_rr.masked_fill(eye_r, float("inf")).kthvalue(min(k, m - 1), 1).values
    q = d_rf.min(0).values.median()
    coverage = float((d_rf.min(1).values <= torch.maximum(radius, q)).float().mean())
    return {"ratio": ratio, "duplicates": duplicates, "coverage": coverage}


class SampleDiversity(Diagnostic):
    """Label-free collapse detector: diversity ratio < 0.1 or > 50% duplicates is a full collapse
    (critical); coverage < 0.8 or diversity ratio < 0.5 is a partial collapse (warning)."""

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
        severity = None
        if s["ratio"] < c.full_ratio or s["duplicates"] > c.full_duplicates:
            severity = "critical"
        elif s["coverage"] < c.coverage or s["ratio"] < c.partial_ratio:
            severity = "warning"
        if not self.debounce.update(step, severity):
            return []
        what = "full mode collapse" if severity == "critical" else "partial mode collapse"
        return [
            make_alarm(
                "mode-collapse",
                step,
                severity,  # type: ignore[arg-type]
                f"{what} (label-free): diversity {s['ratio']:.2f} of real, "
                f"{s['duplicates']:.0%} near-duplicates, coverage {s['coverage']:.2f}",
                SUGGESTION,
                self.name,
                {**s, "samples": float(min(fake.shape[0], c.max_samples))},
            )
        ]

    def on_samples(self, step: int, samples: Tensor, context: dict[str, object]) -> list[Alarm]:
        n = min(samples.shape[0], self.config.max_samples)
        real = reference_batch(context, max(n, self.config.min_samples))
        if real is None:
            return []
        with torch.no_grad():
            return self.check(step, samples[:n].detach(), real)


def build(config: SampleDiversityConfig | None = None) -> SampleDiversity:
    """Registry builder."""
    return SampleDiversity(config)
