"""Evaluation: the built-in metrics and ``evaluate``.

The built-in metrics (classifier-FID, MNIST score, mode coverage, precision/recall,
density/coverage, NDB, the 2-D mixture metrics), each a small pure function on tensors plus a
registered ``Metric`` entry, and ``evaluate``. See ``docs/evaluation.md``.

The names below are imported lazily: importing ``ganzoo.metrics.catalog`` (which the built-in
plugin does for ``ganzoo list``) must not import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "CLASSIFIER_SHA256": "classifier",
    "MNISTClassifier": "classifier",
    "MNISTFeatures": "classifier",
    "classify": "classifier",
    "load_classifier": "classifier",
    "stacked_labels": "classifier",
    "EvaluationResult": "engine",
    "Protocol": "engine",
    "evaluate": "engine",
    "feature_stats": "fid",
    "fid_from_features": "fid",
    "frechet_distance": "fid",
    "sqrtm_psd": "fid",
    "density_coverage": "manifold",
    "precision_recall": "manifold",
    "mixture_metrics": "mixture",
    "class_histogram": "modes",
    "kl_to_uniform": "modes",
    "mode_metrics": "modes",
    "modes_covered": "modes",
    "kmeans": "bins",
    "ndb": "bins",
    "classifier_score": "score",
    "default_metrics": "resolve",
    "resolve_metrics": "resolve",
}

__all__ = [
    "CLASSIFIER_SHA256",
    "EvaluationResult",
    "MNISTClassifier",
    "MNISTFeatures",
    "Protocol",
    "class_histogram",
    "classifier_score",
    "classify",
    "default_metrics",
    "density_coverage",
    "evaluate",
    "feature_stats",
    "fid_from_features",
    "frechet_distance",
    "kl_to_uniform",
    "kmeans",
    "load_classifier",
    "mixture_metrics",
    "mode_metrics",
    "modes_covered",
    "ndb",
    "precision_recall",
    "resolve_metrics",
    "sqrtm_psd",
    "stacked_labels",
]

if TYPE_CHECKING:
    from ganzoo.metrics.bins import kmeans, ndb
    from ganzoo.metrics.classifier import (
        CLASSIFIER_SHA256,
        MNISTClassifier,
        MNISTFeatures,
        classify,
        load_classifier,
        stacked_labels,
    )
    from ganzoo.metrics.engine import EvaluationResult, Protocol, evaluate
    from ganzoo.metrics.fid import feature_stats, fid_from_features, frechet_distance, sqrtm_psd
    from ganzoo.metrics.manifold import density_coverage, precision_recall
    from ganzoo.metrics.mixture import mixture_metrics
    from ganzoo.metrics.modes import class_histogram, kl_to_uniform, mode_metrics, modes_covered
    from ganzoo.metrics.resolve import default_metrics, resolve_metrics
    from ganzoo.metrics.score import classifier_score


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ganzoo.metrics' has no attribute {name!r}")
    return getattr(import_module(f"ganzoo.metrics.{module}"), name)
