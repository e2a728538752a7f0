"""``sample-quality``: the share of samples that land near the data, against the real-vs-real level.

The fraction of generated samples "near the data", in the space where the data has a measured
notion of near:

* 2-D mixtures (ring-8, grid-25): within 3 sigma of some mode, the high-quality fraction of the
  PacGAN protocol (Lin et al. 2018; sigma estimated from the real data). Real points score
  1 - e^-4.5 = 0.99.
* MNIST and Stacked MNIST: improved precision (Kynkaanniemi et al. 2019, k = 3) in the feature
  space of the shipped MNIST classifier: the share of samples inside the union of the k-NN balls of
  1,000 real images. Its real-vs-real level is the same share for 1,000 other real images.
* Other data: no verdict (pixel-space k-NN balls do not measure quality, Kynkaanniemi et al. 2019).

A check is *low* when even the one-sided 99% Wilson upper bound of the sample's fraction lies
below ``ratio`` times the real level (so the verdict says how sure it is, from the sample count).
``patience`` low checks in a row after ``warmup_steps`` raise a warning: sample quality far below
real data, the failure the mode counts cannot see when few samples sit near any mode.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from ganzoo.diagnostics._base import Debouncer, make_alarm
from ganzoo.diagnostics._samples import cached, mixture_sigma, mnist_features
from ganzoo.diagnostics.configs import SampleQualityConfig
from ganzoo.events import Alarm
from ganzoo.interfaces import Diagnostic

SUGGESTION = (
    "train longer if it is still improving; otherwise lower the learning rates, balance D and G "
    "(n_critic, lr ratio) or restart from an earlier checkpoint"
)


@dataclass
class QualitySpace:
    """How near the data the samples of one data set are.

    ``fraction`` maps samples to a bool per sample (near the data or not); ``real_level`` is the
    fraction for real data; ``method`` says which space and rule.
    """

    near: Callable[[Tensor], Tensor]
    real_level: float
    method: str


def wilson_upper(successes: int, n: int, z: float) -> float:
    """One-sided Wilson score upper bound of a binomial proportion (``z`` 2.326: 99%)."""
    if n <= 0:
        return 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return min(1.0, (centre + half) / denom)


def _mixture_space(data: object) -> QualitySpace:
    centres = data.modes.float()  # type: ignore[attr-defined]
    real = data.x[:5000].float()  # type: ignore[attr-defined]
    sigma = cached(data, "sigma", lambda: mixture_sigma(real, centres))

    def near(samples: Tensor) -> Tensor:
        d = torch.cdist(samples.float().flatten(1).to(centres.device), centres)
        return (d.min(1).values <= 3.0 * sigma).cpu()  # type: ignore[operator]

    level = float(near(real).float().mean())
    return QualitySpace(near, level, f"within 3 sigma ({sigma:.3g}) of a mode")


def _feature_space(
    data: object, features: Callable[[Tensor], Tensor], k: int, n: int
) -> QualitySpace:
    from ganzoo.metrics.manifold import knn_radii

    gen = torch.Generator().manual_seed(2)
    idx = torch.randperm(len(data), generator=gen)[: 2 * n].to(data.device)  # type: ignore[arg-type, attr-defined]
    x = data.batch(idx)[0]  # type: ignore[attr-defined]
    ref = features(x[:n])
    radii = knn_radii(ref, k)

    def near(samples: Tensor) -> Tensor:
        f = features(samples)
        inside = torch.zeros(f.shape[0], dtype=torch.bool)
        for i in range(0, f.shape[0], 1024):
            d = torch.cdist(f[i : i + 1024], ref)
            inside[i : i + 1024] = (d <= radii[None, :]).any(1)
        return inside

    level = float(near(x[n:]).float().mean())
    return QualitySpace(
        near, level, f"precision k={k} in MNIST-classifier features vs {ref.shape[0]} real images"
    )


def quality_space(context: dict[str, object], k: int = 3, n: int = 1000) -> QualitySpace | None:
    """The quality space of the run's data, or None when it has none (cached per data set)."""
    data = context.get("data")
    if data is None:
        return None
    if getattr(data, "modes", None) is not None:
        return cached(data, "quality-mixture", lambda: _mixture_space(data))  # type: ignore[return-value]
    features = mnist_features(data)
    if features is None or len(data) < 2 * n:  # type: ignore[arg-type]
        return None
    return cached(data, f"quality-features{k}-{n}", lambda: _feature_space(data, features, k, n))  # type: ignore[return-value]


class SampleQuality(Diagnostic):
    """Detects samples that stay far from the data (low precision / high-quality fraction).

    A warning after ``patience`` checks in a row (from ``warmup_steps`` on) whose fraction of
    samples near the data is, with 99% confidence, below ``ratio`` times the real-vs-real level.
    """

    name: ClassVar[str] = "sample-quality"
    wants_samples: ClassVar[bool] = True

    def __init__(self, config: SampleQualityConfig | None = None) -> None:
        self.config = config or SampleQualityConfig()
        self.debounce = Debouncer(self.config.cooldown, self.config.clear_after)
        self.streak = 0

    def check(self, step: int, near: Tensor, real_level: float, method: str) -> list[Alarm]:
        """Judge one check: ``near`` holds a bool per sample (near the data or not)."""
        c = self.config
        n = int(near.numel())
        if n < c.min_samples or not math.isfinite(real_level) or real_level <= 0:
            return []
        hits = int(near.sum())
        frac = hits / n
        upper = wilson_upper(hits, n, c.z)
        bound = c.ratio * real_level
        low = step >= c.warmup_steps and upper < bound
        self.streak = self.streak + 1 if low else 0
        severity = "warning" if self.streak >= c.patience else None
        if not self.debounce.update(step, severity):
            return []
        return [
            make_alarm(
                "sample-quality",
                step,
                "warning",
                f"sample quality far below real data: {frac:.1%} of {n} samples near the data "
                f"(99% upper bound {upper:.1%}) vs {real_level:.1%} for real data, under "
                f"{c.ratio:g}x that for {self.streak} check{'s' if self.streak > 1 else ''} ({method})",
                SUGGESTION,
                self.name,
                {
                    "near_fraction": frac,
                    "upper_bound": upper,
                    "real_level": real_level,
                    "samples": float(n),
                    "checks": float(self.streak),
                },
            )
        ]

    def on_samples(self, step: int, samples: Tensor, context: dict[str, object]) -> list[Alarm]:
        """Measure the share of samples near the data (no verdict on data without a space)."""
        space = quality_space(context, self.config.k, self.config.reference)
        if space is None:
            return []
        with torch.no_grad():
            near = space.near(samples[: self.config.max_samples].detach())
        return self.check(step, near, space.real_level, space.method)


def build(config: SampleQualityConfig | None = None) -> SampleQuality:
    """Registry builder."""
    return SampleQuality(config)
