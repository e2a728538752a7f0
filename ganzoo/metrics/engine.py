"""``evaluate``: sample a model (or take samples), run the resolved metrics, pin the protocol.

The protocol that makes numbers comparable is part of every result: sample count, reference split
and size, seed, sampling scheme, the feature extractor and its sha256, and each metric's
parameters. Real-vs-real floors (the same metrics with real training data in place of samples)
are reported beside the numbers. Which metrics run, and with which features, comes from their
registry entries (``ganzoo.metrics.resolve``); this module only loops over them.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor

from ganzoo.building import build_entry, dataset_spec
from ganzoo.errors import ConfigError, DataError, PluginError
from ganzoo.interfaces import FeatureExtractor, Metric, SampleSet
from ganzoo.metrics.resolve import ResolvedMetric, check_counts, resolve_metrics
from ganzoo.specs import ExtractorSpec

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


def _dataset(name: str, data_root: str | None, **overrides: Any) -> Any:
    spec = dataset_spec(name)
    if spec.modality == "image" and data_root is not None:
        overrides["root"] = data_root
    return build_entry(name, **overrides)


@lru_cache(maxsize=8)
def _reference(name: str, split: str, size: int, data_root: str | None) -> SampleSet:
    """A real set, cached per process with everything metrics derive from it."""
    spec = dataset_spec(name)
    train = split == "train"
    if spec.modality == "points":
        data = _dataset(name, None, limit=size, seed=0 if train else 1)
    elif name == "stacked-mnist":
        data = _dataset(name, data_root, train=train, size=size, seed=0)
    else:
        data = _dataset(name, data_root, train=train, limit=size)
    return SampleSet(data.scale(data.x[:size]).float(), spec)


def _build(metrics: list[ResolvedMetric]) -> list[tuple[Metric, FeatureExtractor | None]]:
    """Each resolved metric built from its entry, with its built extractor (one per entry)."""
    extractors: dict[str, FeatureExtractor] = {}
    for m in metrics:
        if m.extractor is not None and m.extractor.name not in extractors:
            extractors[m.extractor.name] = build_entry(m.extractor.name)
    return [
        (build_entry(m.name), extractors[m.extractor.name] if m.extractor else None)
        for m in metrics
    ]


def _compute(
    metrics: list[tuple[Metric, FeatureExtractor | None]], gen: SampleSet, ref: SampleSet
) -> tuple[dict[str, float], dict[str, float | int | str]]:
    """Every metric's values on ``gen`` against ``ref``, and the protocol parameters used."""
    values: dict[str, float] = {}
    params: dict[str, float | int | str] = {}
    for metric, extractor in metrics:
        g, r = gen.using(extractor), ref.using(extractor)
        out = metric.compute(g, r)
        declared = tuple(metric.spec.outputs) if metric.spec is not None else tuple(out)
        if set(out) != set(declared):
            raise PluginError(
                f"metric {type(metric).__name__} returned {sorted(out)}, but its spec declares "
                f"{sorted(declared)}"
            )
        values.update({k: float(v) for k, v in out.items()})
        params.update(metric.params)
        params.update(metric.protocol(g, r))
    return values, params


def _extractor_fields(used: list[ExtractorSpec]) -> dict[str, str | None]:
    """The protocol's ``extractor`` and ``extractor_sha256`` (joined by ', ' if several)."""
    pinned = any(e.sha256 for e in used)
    return {
        "extractor": ", ".join(e.protocol_name or e.name for e in used) or None,
        "extractor_sha256": ", ".join(e.sha256 or "unpinned" for e in used) if pinned else None,
    }


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

    Args:
        model_or_samples: A model, or samples ``(N, *shape)``.
        data_name: The data set to compare against (default: the model's).
        metrics: Registered metric names, as a list or a comma-separated string (default: the
            data set's default set, derived from the metric entries; `ganzoo list metrics`).
        n: Samples evaluated (default 10,000 for images, 2,500 for 2-D points, the PacGAN
            protocol; given samples are cut to ``n``).
        seed: Sampling seed.
        data_root: Folder holding MNIST/raw (default ``$GANZOO_DATA``).
        floors: Also compute the real-vs-real floors (the first ``n`` training samples).

    Returns:
        The values, the floors and the protocol. Metrics compare against the test split
        (10,000 images) or a fresh draw of 2,500 points.

    Raises:
        UnknownNameError: An unknown metric name (close names are suggested).
        ConfigError: A metric that does not fit the data, or too few samples.
        DataError: Samples that do not fit the data set or the extractor.
    """
    start = time.perf_counter()
    is_tensor = isinstance(model_or_samples, Tensor)
    if data_name is None:
        data = getattr(model_or_samples, "data", None)
        if data is None:
            raise ConfigError("pass data_name: evaluating samples needs the data set's name")
        data_name = data.name
    spec = dataset_spec(data_name)
    resolved = resolve_metrics(metrics, spec)
    if n is None:
        n = model_or_samples.shape[0] if is_tensor else DEFAULT_N[spec.modality]
    if n < 1:
        raise ConfigError(f"n must be at least 1; got {n}")
    n_ref = 10_000 if spec.modality == "image" else DEFAULT_N["points"]
    check_counts(resolved, min(n, model_or_samples.shape[0]) if is_tensor else n, n_ref)
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
    built = _build(resolved)
    used = list({m.extractor.name: m.extractor for m in resolved if m.extractor}.values())
    for extractor in {id(e): e for _, e in built if e is not None}.values():
        extractor.check(samples, spec)
    ref = _reference(data_name, "test", n_ref, data_root)
    values, params = _compute(built, SampleSet(samples, spec), ref)
    floor_values: dict[str, float] = {}
    if floors:
        floor_set = _reference(data_name, "train", min(n, 60_000), data_root)
        floor_values = _compute(built, floor_set, ref)[0]
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
            **_extractor_fields(used),
            params=params,
        ),
        seconds=round(time.perf_counter() - start, 2),
    )
