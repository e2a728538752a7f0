"""Evaluation: classifier-FID, MNIST score, mode coverage, precision/recall, density/coverage,
NDB and the 2-D mixture metrics, each a small pure function on tensors, plus :func:`evaluate`.

See ``docs/evaluation.md`` for the protocols and their sources.
"""

from __future__ import annotations

from ganzoo.metrics.classifier import (
    CLASSIFIER_SHA256,
    MNISTClassifier,
    classify,
    load_classifier,
    stacked_labels,
)
from ganzoo.metrics.evaluate import EvaluationResult, Protocol, evaluate
from ganzoo.metrics.fid import feature_stats, fid_from_features, frechet_distance, sqrtm_psd
from ganzoo.metrics.manifold import density_coverage, precision_recall
from ganzoo.metrics.mixture import mixture_metrics
from ganzoo.metrics.modes import class_histogram, kl_to_uniform, mode_metrics, modes_covered
from ganzoo.metrics.ndb import kmeans, ndb
from ganzoo.metrics.score import classifier_score

__all__ = [
    "CLASSIFIER_SHA256",
    "EvaluationResult",
    "MNISTClassifier",
    "Protocol",
    "class_histogram",
    "classifier_score",
    "classify",
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
    "sqrtm_psd",
    "stacked_labels",
]
