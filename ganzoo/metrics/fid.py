"""Frechet distance between Gaussians fitted to features (FID with a domain classifier).

FID (Heusel et al. 2017) in the feature space of the MNIST classifier, as TF-GAN's
``mnist_frechet_distance`` does: ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Metric, SampleSet


def feature_stats(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean ``(D,)`` and unbiased covariance ``(D, D)`` of ``features`` ``(N, D)``, in float64."""
    if features.dim() != 2 or features.shape[0] < 2:
        raise ConfigError(
            f"Frechet distance needs at least 2 feature vectors shaped (N, D); got "
            f"{tuple(features.shape)}"
        )
    f = features.double()
    mu = f.mean(0)
    centred = f - mu
    return mu, centred.T @ centred / (f.shape[0] - 1)


def sqrtm_psd(matrix: Tensor) -> Tensor:
    """Square root of a symmetric positive semi-definite matrix by eigendecomposition (float64).

    Negative eigenvalues from round-off are clamped to 0, so the result is always real.
    """
    m = matrix.double()
    vals, vecs = torch.linalg.eigh((m + m.T) / 2)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.T


def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2).

    ``tr((S1 S2)^(1/2))`` is computed as ``tr((S1^(1/2) S2 S1^(1/2))^(1/2))``: the same value, but
    the inner matrix is symmetric PSD, so an eigendecomposition in float64 is stable and real
    (no scipy needed, no imaginary parts to drop).
    """
    mu1, mu2, s1, s2 = (t.double() for t in (mu1, mu2, sigma1, sigma2))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (*mu1.shape, *mu1.shape):
        raise ConfigError(
            f"Frechet distance needs means (D,) and covariances (D, D) of one D; got "
            f"{tuple(mu1.shape)}, {tuple(s1.shape)}, {tuple(mu2.shape)}, {tuple(s2.shape)}"
        )
    root1 = sqrtm_psd(s1)
    inner = root1 @ s2 @ root1
    vals = torch.linalg.eigvalsh((inner + inner.T) / 2).clamp_min(0)
    value = (mu1 - mu2).square().sum() + s1.trace() + s2.trace() - 2 * vals.sqrt().sum()
    return max(float(value), 0.0)


def fid_from_features(features1: Tensor, features2: Tensor) -> float:
    """Frechet distance between two feature sets ``(N1, D)`` and ``(N2, D)``."""
    return frechet_distance(*feature_stats(features1), *feature_stats(features2))


class FrechetDistance(Metric):
    """The ``fid`` entry: Frechet distance between the generated and reference features."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"fid": ...}`` of the extractor features of both sets (all reference samples)."""
        return {"fid": fid_from_features(generated.features, reference.features)}
