"""Mode metrics of the 2-D Gaussian mixtures (PacGAN protocol, Lin et al. 2018).

A generated point is "high quality" when it lies within 3 sigma of some mode; a mode is covered
when at least one high-quality point is nearest to it. The protocol draws 2,500 samples.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganzoo.errors import ConfigError, DataError


def mixture_metrics(
    samples: Tensor, modes: Tensor, sigma: float, threshold: float = 3.0, min_count: int = 1
) -> dict[str, float]:
    """``{"modes": modes covered, "hq_fraction": share of samples within 3 sigma of a mode}``."""
    if samples.dim() != 2 or samples.shape[1] != modes.shape[1]:
        raise DataError(
            f"mixture metrics need points shaped (N, {modes.shape[1]}); got {tuple(samples.shape)}"
        )
    if samples.shape[0] < 1:
        raise ConfigError("mixture metrics need at least one sample")
    d = torch.cdist(samples.double(), modes.double())
    dist, nearest = d.min(1)
    good = dist <= threshold * sigma
    counts = torch.bincount(nearest[good], minlength=modes.shape[0])
    return {
        "modes": float(int((counts >= min_count).sum())),
        "hq_fraction": float(good.double().mean()),
    }
