"""Mode metrics of the 2-D Gaussian mixtures (PacGAN protocol, Lin et al. 2018).

A generated point is "high quality" when it lies within 3 sigma of some mode; a mode is covered
when at least one high-quality point is nearest to it. The protocol draws 2,500 samples.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganzoo.building import build_entry, make_config
from ganzoo.errors import ConfigError, DataError
from ganzoo.interfaces import Metric, SampleSet
from ganzoo.specs import DatasetSpec


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


def mixture_geometry(data: DatasetSpec) -> tuple[Tensor, float]:
    """Mode centres ``(K, D)`` and sigma of a mixture data set, from its builder and config.

    Raises:
        ConfigError: The data set has no mode centres or no ``sigma`` option.
    """
    built = build_entry(data.name, limit=1)
    config = make_config(data, {})
    if getattr(built, "modes", None) is None or not hasattr(config, "sigma"):
        raise ConfigError(
            f"{data.name} has no mode centres and sigma: the mixture metric needs both"
        )
    return built.modes.cpu(), float(config.sigma)


def sigmas(threshold: str | float) -> float:
    """The number in a threshold pinned as ``"3 sigma"`` (or given as a number)."""
    try:
        return float(str(threshold).removesuffix("sigma").strip())
    except ValueError:
        raise ConfigError(
            f"mixture_threshold must read like '3 sigma'; got {threshold!r}"
        ) from None


class MixtureModes(Metric):
    """The ``mixture`` entry: modes covered and high-quality share (PacGAN's 2-D protocol)."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"modes": ..., "hq_fraction": ...}`` of the generated points."""
        modes, sigma = reference.memo("mixture_geometry", lambda: mixture_geometry(generated.data))
        return mixture_metrics(
            generated.x.flatten(1),
            modes,
            sigma,
            threshold=sigmas(self.params["mixture_threshold"]),
            min_count=int(self.params["mixture_min_count"]),
        )
