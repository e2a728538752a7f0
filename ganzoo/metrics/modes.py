"""Mode coverage on labelled data (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

Classify each sample, count the classes hit and measure KL(class histogram || uniform). A model
that covers exactly k of C equally weighted classes evenly scores KL = ln(C/k).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Metric, SampleSet


def class_histogram(labels: Tensor, num_classes: int) -> Tensor:
    """Counts ``(num_classes,)`` of integer ``labels``."""
    if labels.numel() == 0:
        raise ConfigError("mode metrics need at least one sample")
    return torch.bincount(labels.flatten().long(), minlength=num_classes)[:num_classes]


def modes_covered(counts: Tensor, min_count: int = 1) -> int:
    """Number of classes with at least ``min_count`` samples."""
    return int((counts >= min_count).sum())


def kl_to_uniform(counts: Tensor) -> float:
    """KL(p || uniform) in nats of the histogram ``counts`` (0 for a uniform histogram)."""
    p = counts.double() / counts.sum()
    nz = p > 0
    return float((p[nz] * (p[nz] * counts.numel()).log()).sum())


def mode_metrics(labels: Tensor, num_classes: int, min_count: int = 1) -> dict[str, float]:
    """``{"modes": classes hit, "kl": KL(histogram || uniform)}`` of predicted ``labels``."""
    counts = class_histogram(labels, num_classes)
    return {"modes": float(modes_covered(counts, min_count)), "kl": kl_to_uniform(counts)}


def collapsed_kl(k: int, num_classes: int = 10) -> float:
    """The KL of an even collapse onto ``k`` of ``num_classes`` classes: ``ln(num_classes / k)``."""
    return math.log(num_classes / k)


class ModeCoverage(Metric):
    """The ``modes`` entry: classes hit and KL to uniform over the data set's ``num_classes``."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"modes": ..., "kl": ...}`` of the extractor's labels of the generated samples."""
        classes = generated.data.num_classes
        if classes is None:
            raise ConfigError(
                f"the modes metric needs a data set with classes; {generated.data.name} has none"
            )
        min_count = int(self.params["modes_min_count"])
        return mode_metrics(generated.output("labels"), classes, min_count)
