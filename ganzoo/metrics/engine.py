"""``evaluate``: sample a model (or take samples), compute metrics, pin the protocol.

The protocol that makes numbers comparable is part of every result: sample count, reference split
and size, seed, sampling scheme, the feature extractor and its sha256, and each metric's
parameters. Real-vs-real floors (the same metric with real training data in place of samples) are
reported beside the numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor

from ganzoo.errors import ConfigError, DataError
from ganzoo.metrics.classifier import CLASSIFIER_SHA256, check_images, classify, stacked_labels
from ganzoo.metrics.fid import fid_from_features
from ganzoo.metrics.manifold import density_coverage, precision_recall
from ganzoo.metrics.mixture import mixture_metrics
from ganzoo.metrics.modes import mode_metrics
from ganzoo.metrics.ndb import kmeans, ndb
from ganzoo.metrics.score import classifier_score

ALL_METRICS = ("fid", "score", "modes", "prd", "dc", "ndb", "mixture")
CLASSIFIER_METRICS = frozenset({"fid", "score", "modes"})
CLASSIFIER_DATA = frozenset({"mnist", "stacked-mnist"})
PRD_K = 3
DC_K = 5
NDB_BINS = 100
NDB_ALPHA = 0.05
SAMPLE_CHUNK = 1000
DEFAULT_N = {"image": 10_000, "points": 2_500}


class Protocol(BaseModel):
    """Everything a number depends on besides the model."""

    model_config = ConfigDict(frozen=True)
    data: str
    n: int = Field(description="Generated samples evaluated.")
    seed: int
    sampling: str
    reference_split: str
    n_reference: int
    floor_split: str | None = None
    extractor: str | None = None
    extractor_sha256: str | None = None
    params: dict[str, float | int | str] = Field(default_factory=dict)


class EvaluationResult(BaseModel):
    """Metric values, the real-vs-real floors beside them, and the protocol that produced them."""

    model: str | None
    metrics: dict[str, float]
    floors: dict[str, float] = Field(
        default_factory=dict, description="The same metrics with real training data as samples."
    )
    protocol: Protocol
    seconds: float


@dataclass
class _Set:
    """One sample set with its derived quantities computed once."""

    x: Tensor
    stacked: bool = False
    _cache: dict[str, Tensor] = field(default_factory=dict)

    def _classify(self) -> None:
        if "features" in self._cache:
            return
        if self.stacked:
            check_images(self.x, (3,))
            parts = [classify(self.x[:, c : c + 1]) for c in range(3)]
            self._cache["features"] = torch.cat([f for f, _ in parts], 1)
            self._cache["labels"] = stacked_labels(self.x)
        else:
            check_images(self.x)
            feats, probs = classify(self.x)
            self._cache.update(features=feats, probs=probs, labels=probs.argmax(1))

    def get(self, what: str) -> Tensor:
        self._classify()
        return self._cache[what]

    def ndb_centres(self) -> Tensor:
        """K-means bins of this (reference) set, computed once."""
        if "ndb_centres" not in self._cache:
            self._cache["ndb_centres"] = kmeans(self.x.flatten(1), NDB_BINS, seed=0)
        return self._cache["ndb_centres"]

    def embedding(self, image: bool) -> Tensor:
        """Classifier features for MNIST-like images, the raw values otherwise."""
        return self.get("features") if image else self.x.flatten(1).double()


def _required(metric: str) -> int:
    return {"fid": 2, "prd": PRD_K + 1, "dc": DC_K + 1, "ndb": 2 * NDB_BINS}.get(metric, 1)


def _defaults(spec: Any) -> list[str]:
    if spec.modality == "points":
        return ["mixture", "prd", "dc"] if spec.num_modes else ["prd", "dc"]
    if spec.name == "mnist":
        return ["fid", "score", "modes", "prd", "dc", "ndb"]
    if spec.name == "stacked-mnist":
        return ["fid", "modes"]
    return ["ndb"]


def _parse(metrics: str | list[str] | tuple[str, ...] | None, spec: Any) -> list[str]:
    if metrics is None:
        return _defaults(spec)
    names = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    names = [m.strip().lower() for m in names if m.strip()]
    unknown = [m for m in names if m not in ALL_METRICS]
    if unknown or not names:
        raise ConfigError(
            f"unknown metric(s) {', '.join(unknown) or '(none given)'}; choose from "
            f"{', '.join(ALL_METRICS)}"
        )
    if spec.modality == "points" and CLASSIFIER_METRICS & set(names):
        raise ConfigError(
            f"{', '.join(sorted(CLASSIFIER_METRICS & set(names)))} need MNIST images; "
            f"{spec.name} is 2-D points: use mixture, prd, dc or ndb"
        )
    if "mixture" in names and spec.modality != "points":
        raise ConfigError(f"the mixture metric is for 2-D mixtures; {spec.name} is images")
    if "score" in names and spec.name == "stacked-mnist":
        raise ConfigError("the MNIST score is defined for 1-channel MNIST; use fid or modes")
    return names


def _check_counts(names: list[str], n: int, n_ref: int) -> None:
    for m in names:
        need = _required(m)
        for what, have in (("generated", n), ("reference", n_ref)):
            if have < need:
                detail = {
                    "ndb": f"2*K with K={NDB_BINS} bins",
                    "prd": f"k+1 with k={PRD_K}",
                    "dc": f"k+1 with k={DC_K}",
                    "fid": "a covariance",
                }.get(m, "")
                raise ConfigError(
                    f"metric {m!r} needs at least {need} {what} samples ({detail}); got {have}"
                    + ("; raise -n" if what == "generated" else "")
                )


def _dataset(name: str, data_root: str | None, **overrides: Any) -> Any:
    from ganzoo.building import build_entry as build
    from ganzoo.building import dataset_spec

    spec = dataset_spec(name)
    if spec.modality == "image" and data_root is not None:
        overrides["root"] = data_root
    return build(name, **overrides)


@lru_cache(maxsize=8)
def _reference(name: str, split: str, size: int, data_root: str | None) -> _Set:
    """A real set (cached per process with its classifier outputs)."""
    from ganzoo.building import dataset_spec

    spec = dataset_spec(name)
    train = split == "train"
    if spec.modality == "points":
        data = _dataset(name, None, limit=size, seed=0 if train else 1)
    elif name == "stacked-mnist":
        data = _dataset(name, data_root, train=train, size=size, seed=0)
    else:
        data = _dataset(name, data_root, train=train, limit=size)
    x = data.scale(data.x[:size]).float()
    return _Set(x, stacked=name == "stacked-mnist")


def _mixture_geometry(name: str) -> tuple[Tensor, float]:
    from ganzoo.building import dataset_spec, make_config

    data = _dataset(name, None, limit=1)
    config = make_config(dataset_spec(name), {})
    if data.modes is None or not hasattr(config, "sigma"):
        raise ConfigError(f"{name} has no mode centres and sigma: the mixture metric needs both")
    return data.modes.cpu(), float(config.sigma)


def _compute(names: list[str], gen: _Set, ref: _Set, spec: Any) -> dict[str, float]:
    image = spec.name in CLASSIFIER_DATA
    out: dict[str, float] = {}
    n = gen.x.shape[0]  # prd and dc compare sets of equal size, as both papers do
    for m in names:
        if m == "fid":
            out["fid"] = fid_from_features(gen.get("features"), ref.get("features"))
        elif m == "score":
            out["score"] = classifier_score(gen.get("probs"))
        elif m == "modes":
            classes = 1000 if gen.stacked else 10
            out.update(mode_metrics(gen.get("labels"), classes))
        elif m == "prd":
            out.update(precision_recall(ref.embedding(image)[:n], gen.embedding(image), PRD_K))
        elif m == "dc":
            out.update(density_coverage(ref.embedding(image)[:n], gen.embedding(image), DC_K))
        elif m == "ndb":
            out.update(ndb(ref.x, gen.x, NDB_BINS, NDB_ALPHA, centres=ref.ndb_centres()))
        elif m == "mixture":
            modes, sigma = _mixture_geometry(spec.name)
            out.update(mixture_metrics(gen.x.flatten(1), modes, sigma))
    return out


@torch.no_grad()
def draw_samples(model: Any, n: int, seed: int, chunk: int = SAMPLE_CHUNK) -> Tensor:
    """``n`` samples from ``model.sample`` in chunks; chunk seeds come from ``Generator(seed)``."""
    gen = torch.Generator().manual_seed(seed)
    seeds = torch.randint(0, 2**62, ((n + chunk - 1) // chunk,), generator=gen).tolist()
    parts = [model.sample(min(chunk, n - i * chunk), seed=s).cpu() for i, s in enumerate(seeds)]
    return torch.cat(parts).float()


def evaluate(
    model_or_samples: Any,
    data_name: str | None = None,
    metrics: str | list[str] | tuple[str, ...] | None = None,
    n: int | None = None,
    seed: int = 0,
    data_root: str | None = None,
    floors: bool = True,
) -> EvaluationResult:
    """Evaluate a model (anything with ``.sample(n, seed=)``) or a tensor of samples.

    ``data_name`` defaults to the model's data set. ``metrics`` is a list or comma-separated string
    of ``fid, score, modes, prd, dc, ndb, mixture`` (default: the ones that fit the data). ``n``
    defaults to 10,000 for images and 2,500 for 2-D points (the PacGAN protocol); given samples
    are cut to ``n``. Classifier metrics compare against the MNIST test split (10,000 images);
    the floors use the first ``n`` training images. Raises :class:`ConfigError` for unknown
    metrics or too few samples and :class:`DataError` for samples that do not fit.
    """
    from ganzoo.building import dataset_spec

    start = time.perf_counter()
    is_tensor = isinstance(model_or_samples, Tensor)
    if data_name is None:
        data = getattr(model_or_samples, "data", None)
        if data is None:
            raise ConfigError("pass data_name: evaluating samples needs the data set's name")
        data_name = data.name
    spec = dataset_spec(data_name)
    names = _parse(metrics, spec)
    if n is None:
        n = model_or_samples.shape[0] if is_tensor else DEFAULT_N[spec.modality]
    if n < 1:
        raise ConfigError(f"n must be at least 1; got {n}")
    n_ref = 10_000 if spec.modality == "image" else DEFAULT_N["points"]
    _check_counts(names, min(n, model_or_samples.shape[0]) if is_tensor else n, n_ref)
    if is_tensor:
        samples = model_or_samples[:n].detach().cpu().float()
        sampling = "given samples (first n)"
        model_name = None
    else:
        samples = draw_samples(model_or_samples, n, seed)
        sampling = f"model.sample in chunks of {SAMPLE_CHUNK}, chunk seeds from Generator({seed})"
        model_name = getattr(model_or_samples, "name", None)
    n = samples.shape[0]
    if tuple(samples.shape[1:]) != tuple(spec.shape):
        raise DataError(
            f"samples shaped {tuple(samples.shape[1:])} do not fit {data_name}, whose samples are "
            f"{tuple(spec.shape)}"
        )
    stacked = data_name == "stacked-mnist"
    uses_classifier = bool(CLASSIFIER_METRICS & set(names)) or (
        data_name in CLASSIFIER_DATA and bool({"prd", "dc"} & set(names))
    )
    if uses_classifier:
        check_images(samples, (3,) if stacked else (1,))
    ref = _reference(data_name, "test", n_ref, data_root)
    values = _compute(names, _Set(samples, stacked=stacked), ref, spec)
    floor_values: dict[str, float] = {}
    if floors:
        floor_set = _reference(data_name, "train", min(n, 60_000), data_root)
        floor_values = _compute(names, floor_set, ref, spec)
    params: dict[str, float | int | str] = {}
    if "prd" in names:
        params["prd_k"] = PRD_K
    if "dc" in names:
        params["dc_k"] = DC_K
    if {"prd", "dc"} & set(names):
        params["prd_dc_reference"] = f"first {min(n, n_ref)} reference samples (equal sizes)"
    if "ndb" in names:
        params.update(ndb_bins=NDB_BINS, ndb_alpha=NDB_ALPHA, ndb_space="raw values")
    if "mixture" in names:
        params.update(mixture_threshold="3 sigma", mixture_min_count=1)
    if "modes" in names:
        params["modes_min_count"] = 1
    points = spec.modality == "points"
    return EvaluationResult(
        model=model_name,
        metrics=values,
        floors=floor_values,
        protocol=Protocol(
            data=data_name,
            n=n,
            seed=seed,
            sampling=sampling,
            reference_split="fresh draw, seed 1" if points else "test",
            n_reference=n_ref,
            floor_split=(
                None if not floors else "fresh draw, seed 0" if points else f"train (first {n})"
            ),
            extractor="ganzoo.metrics.MNISTClassifier (128-d features)"
            if uses_classifier
            else None,
            extractor_sha256=CLASSIFIER_SHA256 if uses_classifier else None,
            params=params,
        ),
        seconds=round(time.perf_counter() - start, 2),
    )
