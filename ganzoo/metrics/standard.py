"""The standard Inception metrics for any image data, computed by torch-fidelity's functions.

FID, KID, the Inception score and improved precision/recall are torch-fidelity's own
feature-level functions (``fid_features_to_statistics`` + ``fid_statistics_to_metric``,
``kid_features_to_metric``, ``isc_features_to_metric``, ``prc_features_to_metric``) applied to the
``inception-v3`` extractor's outputs, with the parameters each entry pins in ``params``.
torch-fidelity has no density/coverage: that one is ganzoo's own
[`density_coverage`][ganzoo.metrics.density_coverage] on the same features.

Generated features are torch-fidelity's ``input1``, real ones its ``input2``.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ganzoo.interfaces import Metric, SampleSet
from ganzoo.metrics.inception import fidelity
from ganzoo.metrics.manifold import density_coverage


def fid_statistics(features: Tensor) -> dict[str, Any]:
    """torch-fidelity's FID statistics (``mu``, ``sigma``, numpy) of ``features`` ``(N, D)``."""
    fidelity()
    from torch_fidelity.metric_fid import fid_features_to_statistics

    return dict(fid_features_to_statistics(features.detach().cpu()))


def fid(generated: Tensor, real: Tensor, real_stats: dict[str, Any] | None = None) -> float:
    """Frechet Inception distance of two feature sets, by torch-fidelity.

    Args:
        generated: Generated features ``(N1, D)``.
        real: Real features ``(N2, D)``.
        real_stats: ``fid_statistics(real)`` when already computed (a cached reference set).

    Returns:
        The distance.
    """
    from torch_fidelity.metric_fid import fid_statistics_to_metric

    stats = real_stats if real_stats is not None else fid_statistics(real)
    out = fid_statistics_to_metric(fid_statistics(generated), stats, verbose=False)
    return float(out["frechet_inception_distance"])


def kid(generated: Tensor, real: Tensor, **params: Any) -> tuple[float, float]:
    """Kernel Inception distance (mean, std over subsets) by ``kid_features_to_metric``.

    Args:
        generated: Generated features ``(N1, D)``.
        real: Real features ``(N2, D)``.
        **params: torch-fidelity's ``kid_*`` and ``rng_seed`` keyword arguments.

    Returns:
        The mean and standard deviation of the subsets' unbiased MMD^2.
    """
    fidelity()
    from torch_fidelity.metric_kid import kid_features_to_metric

    out = kid_features_to_metric(
        generated.detach().cpu(), real.detach().cpu(), verbose=False, **params
    )
    return float(out["kernel_inception_distance_mean"]), float(out["kernel_inception_distance_std"])


def inception_score(logits: Tensor, splits: int = 10, rng_seed: int = 2020) -> tuple[float, float]:
    """Inception score (mean, std over ``splits``) of logits ``(N, C)`` by ``isc_features_to_metric``."""
    fidelity()
    from torch_fidelity.metric_isc import isc_features_to_metric

    out = isc_features_to_metric(
        logits.detach().cpu(), splits=splits, shuffle=True, rng_seed=rng_seed
    )
    return float(out["inception_score_mean"]), float(out["inception_score_std"])


def precision_recall(generated: Tensor, real: Tensor, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) by ``prc_features_to_metric``."""
    fidelity()
    from torch_fidelity.metric_prc import prc_features_to_metric

    out = prc_features_to_metric(
        generated.detach().cpu(),
        real.detach().cpu(),
        prc_neighborhood=k,
        prc_batch_size=10_000,
        save_cpu_ram=False,
        verbose=False,
    )
    return float(out["precision"]), float(out["recall"])


class InceptionFID(Metric):
    """The ``fid-inception`` entry: FID of the Inception pool3 features (all reference samples)."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"fid_inception": ...}``; the reference statistics are computed once per set."""
        stats = reference.memo("fid_inception_stats", lambda: fid_statistics(reference.features))
        return {"fid_inception": fid(generated.features, reference.features, stats)}


class InceptionKID(Metric):
    """The ``kid-inception`` entry: KID with torch-fidelity's polynomial kernel and subsets."""

    def _subset_size(self, generated: SampleSet, reference: SampleSet) -> int:
        return min(int(self.params["kid_subset_size"]), len(generated), len(reference))

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"kid": mean, "kid_std": std}`` over ``kid_subsets`` random subsets."""
        mean, std = kid(
            generated.features,
            reference.features,
            kid_subsets=int(self.params["kid_subsets"]),
            kid_subset_size=self._subset_size(generated, reference),
            kid_kernel="poly",
            kid_kernel_poly_degree=int(self.params["kid_degree"]),
            kid_kernel_poly_gamma=None,
            kid_kernel_poly_coef0=float(self.params["kid_coef0"]),
            rng_seed=int(self.params["kid_rng_seed"]),
        )
        return {"kid": mean, "kid_std": std}

    def protocol(self, generated: SampleSet, reference: SampleSet) -> dict[str, float | int | str]:
        """The subset size used: ``kid_subset_size``, or fewer when a set is smaller."""
        return {"kid_subset_size_used": self._subset_size(generated, reference)}


class InceptionScore(Metric):
    """The ``is-inception`` entry: the Inception score of the generated samples' logits."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"is": mean, "is_std": std}`` over ``is_splits`` splits; the reference is not used."""
        mean, std = inception_score(
            generated.output("logits"),
            int(self.params["is_splits"]),
            int(self.params["is_rng_seed"]),
        )
        return {"is": mean, "is_std": std}


class _EqualSizes(Metric):
    """Compares the generated set with as many reference samples (as ``prd`` and ``dc`` do)."""

    def protocol(self, generated: SampleSet, reference: SampleSet) -> dict[str, float | int | str]:
        """How many reference samples were compared."""
        used = min(len(generated), len(reference))
        return {"prd_dc_reference": f"first {used} reference samples (equal sizes)"}


class InceptionPrecisionRecall(_EqualSizes):
    """The ``prd-inception`` entry: improved precision/recall on Inception features, by torch-fidelity."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"precision_inception": ..., "recall_inception": ...}``."""
        real = reference.features[: len(generated)]
        p, r = precision_recall(generated.features, real, int(self.params["prd_k"]))
        return {"precision_inception": p, "recall_inception": r}


class InceptionDensityCoverage(_EqualSizes):
    """The ``dc-inception`` entry: density and coverage on Inception features (ganzoo's code)."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"density_inception": ..., "coverage_inception": ...}``."""
        real = reference.features[: len(generated)]
        out = density_coverage(real, generated.features, int(self.params["dc_k"]))
        return {"density_inception": out["density"], "coverage_inception": out["coverage"]}
