"""MNIST score: the Inception score (Salimans et al. 2016) with the MNIST classifier.

``exp(E_x KL(p(y|x) || p(y)))``, as TF-GAN's ``mnist_score``: 1 for a collapsed or unrecognisable
set, 10 at most (confident predictions spread evenly over the 10 digits).
"""

from __future__ import annotations

import math

from torch import Tensor

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Metric, SampleSet


def classifier_score(probs: Tensor, eps: float = 1e-12) -> float:
    """``exp(mean_i KL(p(y|x_i) || mean_j p(y|x_j)))`` of class probabilities ``(N, C)``."""
    if probs.dim() != 2 or probs.shape[0] < 1:
        raise ConfigError(f"the score needs class probabilities (N, C); got {tuple(probs.shape)}")
    p = probs.double().clamp_min(eps)
    marginal = p.mean(0, keepdim=True)
    kl = (p * (p.log() - marginal.log())).sum(1)
    return math.exp(float(kl.mean()))


class ClassifierScore(Metric):
    """The ``score`` entry: the MNIST score of the generated samples' class probabilities."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"score": ...}``; the reference set is not used."""
        return {"score": classifier_score(generated.output("probs"))}
