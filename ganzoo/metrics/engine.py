"""``evaluate``: sample a model (or take samples), run the resolved metrics, pin the protocol.

The protocol that makes numbers comparable is part of every result: sample count, reference split
and size, seed, sampling scheme, the feature extractor and its sha256, and each metric's
parameters. Real-vs-real floors (the same metrics with real training data in place of samples)
are reported beside the numbers. Which metrics run, and with which features, comes from their
registry entries (``ganzoo.metrics.resolve``); this module only loops over them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor

from ganzoo.building import at_model_resolution, build_entry, dataset_spec, has_option
from ganzoo.errors import ConfigError, DataError, PluginError
from ganzoo.interfaces import FeatureExtractor, Metric, SampleSet
from ganzoo.metrics import refcache
from ganzoo.metrics.resolve import ResolvedMetric, check_counts, resolve_metrics
from ganzoo.specs import DatasetSpec

SAMPLE_CHUNK = 1000
DEFAULT_N = {"image": 10_000, "points": 2_500}
N_REFERENCE = 10_000
"""Real images every image metric compares with (all of them, when the data has fewer)."""


class Protocol(BaseModel):
    """Everything a number depends on besides the model."""

    model_config = ConfigDict(frozen=True)
    data: str
    data_options: dict[str, Any] = Field(
        default_factory=dict, description="Options the real data was built with (path, resolution)."
    )
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


def _options(name: str, data_root: str | None, options: str) -> dict[str, Any]:
    """The data set's build options: ``options`` (JSON), plus ``root`` from ``data_root``."""
    spec = dataset_spec(name)
    out: dict[str, Any] = json.loads(options)
    if spec.modality == "image" and data_root is not None and has_option(spec, "root"):
        out.setdefault("root", data_root)
    return out


@lru_cache(maxsize=8)
def _reference(
    name: str, split: str, size: int, data_root: str | None, options: str = "{}"
) -> SampleSet:
    """A real set of a data set with a test split (or drawn points), cached per process."""
    spec = dataset_spec(name)
    opts = _options(name, data_root, options)
    train = split == "train"
    if spec.modality == "points":
        data = build_entry(name, limit=size, seed=0 if train else 1, **opts)
    elif name == "stacked-mnist":
        data = build_entry(name, train=train, size=size, seed=0, **opts)
    else:
        data = build_entry(name, train=train, limit=size, **opts)
    return SampleSet(data.scale(data.x[:size]).float(), data.spec)


def _split_once(data: Any, n_ref: int, n_floor: int) -> tuple[SampleSet, SampleSet | None]:
    """Reference = the first ``n_ref`` of a seed-0 permutation; floor = the next ``n_floor``."""
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    ref_idx = perm[:n_ref]
    floor_idx = perm[n_ref : n_ref + n_floor]
    ref = SampleSet(data.scale(data.x[ref_idx]).float(), data.spec)
    floor = SampleSet(data.scale(data.x[floor_idx]).float(), data.spec) if len(floor_idx) else None
    return ref, floor


def _half(total: int) -> int:
    """The reference size of data without a test split: half of it (rounded up), at most 10,000."""
    return min(N_REFERENCE, total - total // 2)


@lru_cache(maxsize=4)
def _unsplit(
    name: str, data_root: str | None, options: str, n_floor: int
) -> tuple[int, SampleSet, SampleSet | None]:
    """The real sets of a registered data set without a test split, cached per process."""
    data = build_entry(name, **_options(name, data_root, options))
    return len(data), *_split_once(data, _half(len(data)), n_floor)


@dataclass(frozen=True)
class RealSets:
    """The real sets an evaluation compares with, and how they were chosen."""

    reference: SampleSet
    floor: SampleSet | None
    reference_split: str
    floor_split: str | None


def real_sets(
    data: str | Any, n: int, floors: bool, data_root: str | None, options: dict[str, Any]
) -> RealSets:
    """The reference set and the floor set (real samples in place of generated ones).

    A data set with a ``train`` option (MNIST and the torchvision sets) compares with 10,000
    test images and takes its floor from the first ``n`` training images; 2-D points compare with
    a fresh draw (seed 1), floor seed 0. Data without a test split (an image folder, an array
    file, built data passed as an object) is permuted with seed 0: the reference is its first
    half, at most 10,000 samples (it depends on the data only, not on ``n`` or ``floors``), and
    the floor the next ``n`` samples (fewer when fewer are left).
    """
    opts = json.dumps(options, sort_keys=True, default=str)
    if isinstance(data, str):
        spec = dataset_spec(data)
        if spec.modality == "points":
            size = DEFAULT_N["points"]
            ref = _reference(data, "test", size, None, opts)
            floor = _reference(data, "train", min(n, 60_000), None, opts) if floors else None
            return RealSets(
                ref, floor, "fresh draw, seed 1", "fresh draw, seed 0" if floors else None
            )
        if data == "stacked-mnist" or has_option(spec, "train"):
            ref = _reference(data, "test", N_REFERENCE, data_root, opts)
            floor = _reference(data, "train", min(n, 60_000), data_root, opts) if floors else None
            return RealSets(ref, floor, "test", f"train (first {n})" if floors else None)
        total, ref, floor = _unsplit(data, data_root, opts, n if floors else 0)
    else:
        total = len(data)
        ref, floor = _split_once(data, _half(total), n if floors else 0)
    where = f"of {total} (permutation seed 0; no test split)"
    floor_split = f"the next {len(floor)} {where}" if floor is not None else None
    return RealSets(ref, floor, f"the first {len(ref)} {where}", floor_split)


def _build(
    metrics: list[ResolvedMetric], extractors: Mapping[str, Any] | None
) -> tuple[list[tuple[Metric, FeatureExtractor | None]], list[FeatureExtractor]]:
    """Each resolved metric built from its entry, with its extractor (one per extractor entry).

    ``extractors`` maps an extractor entry's name to the options to build it with, or to a
    built ``FeatureExtractor`` used in its place (a stand-in network in tests).
    """
    given = {k.lower(): v for k, v in (extractors or {}).items()}
    built: dict[str, FeatureExtractor] = {}
    for m in metrics:
        if m.extractor is not None and m.extractor.name not in built:
            choice = given.get(m.extractor.name)
            if isinstance(choice, FeatureExtractor):
                built[m.extractor.name] = choice
            else:
                built[m.extractor.name] = build_entry(m.extractor.name, **dict(choice or {}))
    pairs = [
        (build_entry(m.name), built[m.extractor.name] if m.extractor else None) for m in metrics
    ]
    return pairs, list(built.values())


def _compute(
    metrics: list[tuple[Metric, FeatureExtractor | None]],
    gen: SampleSet,
    ref: SampleSet,
    steps: _Steps | None = None,
    label: str = "",
) -> tuple[dict[str, float], dict[str, float | int | str]]:
    """Every metric's values on ``gen`` against ``ref``, and the protocol parameters used."""
    values: dict[str, float] = {}
    params: dict[str, float | int | str] = {}
    for metric, extractor in metrics:
        g, r = gen.using(extractor), ref.using(extractor)
        name = metric.spec.name if metric.spec is not None else type(metric).__name__
        if steps is not None:
            steps.start(f"{name}{label}")
        out = metric.compute(g, r)
        if steps is not None:
            steps.end()
        declared = tuple(metric.spec.outputs) if metric.spec is not None else tuple(out)
        if set(out) != set(declared):
            raise PluginError(
                f"metric {type(metric).__name__} returned {sorted(out)}, but its spec declares "
                f"{sorted(declared)}"
            )
        values.update({k: float(v) for k, v in out.items()})
        params.update(metric.params)
        params.update(metric.protocol(g, r))
        if extractor is not None and hasattr(extractor, "protocol_params"):
            params.update(extractor.protocol_params())
    return values, params


def _extractor_fields(used: list[FeatureExtractor]) -> dict[str, str | None]:
    """The protocol's ``extractor`` and ``extractor_sha256`` (joined by ', ' if several)."""
    specs = [e.spec for e in used]
    pinned = any(s is not None and s.sha256 for s in specs)
    names = [
        (s.protocol_name or s.name) if s is not None else e.key
        for e, s in zip(used, specs, strict=True)
    ]
    hashes = [(s.sha256 if s is not None else None) or "unpinned" for s in specs]
    return {
        "extractor": ", ".join(names) or None,
        "extractor_sha256": ", ".join(hashes) if pinned else None,
    }


@torch.no_grad()
def draw_samples(
    model: Any,
    n: int,
    seed: int,
    chunk: int = SAMPLE_CHUNK,
    on_chunk: Callable[[int], None] | None = None,
) -> Tensor:
    """``n`` samples from ``model.sample`` in chunks; chunk seeds come from ``Generator(seed)``.

    ``on_chunk(i)`` is called after chunk ``i`` (0-based) is drawn.
    """
    gen = torch.Generator().manual_seed(seed)
    seeds = torch.randint(0, 2**62, ((n + chunk - 1) // chunk,), generator=gen).tolist()
    parts = []
    for i, s in enumerate(seeds):
        parts.append(model.sample(min(chunk, n - i * chunk), seed=s).cpu())
        if on_chunk is not None:
            on_chunk(i)
    return torch.cat(parts).float()


Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)``: called as each step of an evaluation starts, and at the end."""


class _Steps:
    """Counts an evaluation's steps for a ``Progress`` callback (nothing without one)."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def start(self, step: str) -> None:
        """Report that ``step`` starts."""
        if self.progress is not None:
            self.progress(step, self.done, self.total)

    def end(self, step: str = "done") -> None:
        """Report that the current step ended."""
        self.done += 1
        if self.progress is not None:
            self.progress(step, self.done, self.total)


def _resolution_hint(samples: Tensor, spec: DatasetSpec) -> str:
    """How to compare square images of another side with an image data set built at that side."""
    shape = tuple(samples.shape[1:])
    if spec.shape is None or len(shape) != 3 or len(spec.shape) != 3 or shape[1] != shape[2]:
        return ""
    if shape[0] != spec.shape[0] or not has_option(spec, "resolution"):
        return ""
    return (
        f"; to compare with {spec.name} built at {shape[1]} px, pass "
        f"data_options={{'resolution': {shape[1]}}}"
    )


def evaluate(
    model_or_samples: Any,
    data_name: str | Any | None = None,
    metrics: str | list[str] | tuple[str, ...] | None = None,
    n: int | None = None,
    seed: int = 0,
    data_root: str | None = None,
    floors: bool = True,
    *,
    data_options: dict[str, Any] | None = None,
    extractors: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Evaluate a model (anything with ``.sample(n, seed=)``) or a tensor of samples.

    Args:
        model_or_samples: A model, or samples ``(N, *shape)``.
        data_name: The data to compare against: a registered data set's name, or built data
            (a ``TensorData``, e.g. ``ganzoo.build("image-folder", path=...)``). Default: the
            model's data set, built with the model's ``data_options``.
        metrics: Registered metric names, as a list or a comma-separated string (default: the
            data set's default set, derived from the metric entries; `ganzoo list metrics`).
        n: Samples evaluated (default 10,000 for images, 2,500 for 2-D points, the PacGAN
            protocol; given samples are cut to ``n``).
        seed: Sampling seed.
        data_root: Folder holding the data sets' files (default ``$GANZOO_DATA``).
        floors: Also compute the real-vs-real floors (real samples in place of generated ones).
        data_options: Options the named data set is built with (``path``, ``resolution``, ...);
            recorded in the protocol.
        extractors: Per extractor entry name, the options to build it with (e.g.
            ``{"inception-v3": {"weights": "/path/weights-inception-2015-12-05-6726825d.pth"}}``)
            or a built ``FeatureExtractor`` to use in its place.
        progress: Called as ``progress(step, done, total)`` when each step starts (a sample
            chunk, the features of a set, a metric) and once more when all are done; the CLI's
            progress bar.

    Returns:
        The values, the floors and the protocol. Data with a test split compares with 10,000
        test images and takes its floor from the training images; 2-D points with a fresh draw
        of 2,500; data without a test split with 10,000 of its samples (see `real_sets`).

    Raises:
        UnknownNameError: An unknown metric name (close names are suggested).
        ConfigError: A metric that does not fit the data, or too few samples.
        DataError: Samples that do not fit the data set or the extractor, or that hold NaN or
            infinite values.
        WeightsError: An extractor's weights are missing or do not match their pin.
    """
    start = time.perf_counter()
    is_tensor = isinstance(model_or_samples, Tensor)
    model_data = getattr(model_or_samples, "data", None)
    options = dict(data_options or {})
    if data_name is None:
        if model_data is None:
            raise ConfigError("pass data_name: evaluating samples needs the data set's name")
        data_name = model_data.name
        options = {**(getattr(model_or_samples, "data_options", None) or {}), **options}
    if isinstance(data_name, str):
        given = model_data if getattr(model_data, "name", None) == data_name else None
        spec = given if isinstance(given, DatasetSpec) else dataset_spec(data_name)
        if isinstance(given, DatasetSpec):
            options = at_model_resolution(given, options)
    else:
        spec = data_name.spec
    resolved = resolve_metrics(metrics, spec)
    if n is None:
        n = model_or_samples.shape[0] if is_tensor else DEFAULT_N[spec.modality]
    if n < 1:
        raise ConfigError(f"n must be at least 1; got {n}")
    if is_tensor:
        n = min(n, model_or_samples.shape[0])
    built, used = _build(resolved, extractors)
    for extractor in used:
        if hasattr(extractor, "prepare"):
            extractor.prepare()  # missing weights fail before any sampling
    real = real_sets(data_name, n, floors, data_root, options)
    spec = real.reference.data
    check_counts(resolved, n, len(real.reference))
    floor = real.floor
    need = max((m.spec.min_samples for m in resolved), default=1)
    if floor is not None and len(floor) < need:
        floor = None  # too few real samples left for a floor
    for real_set in (real.reference, floor):
        if real_set is not None:
            refcache.mark_real(real_set)  # what is derived from it alone may be cached on disk
    chunks = 0 if is_tensor else (n + SAMPLE_CHUNK - 1) // SAMPLE_CHUNK
    sets = 2 + (floor is not None)
    total = chunks + len(used) * sets + len(built) * (sets - 1)
    steps = _Steps(progress, total)
    if is_tensor:
        samples = model_or_samples[:n].detach().cpu().float()
        sampling = "given samples (first n)"
        model_name = None
    else:
        steps.start(f"sampling {n:,}")
        samples = draw_samples(
            model_or_samples, n, seed, on_chunk=lambda _: steps.end(f"sampling {n:,}")
        )
        sampling = f"model.sample in chunks of {SAMPLE_CHUNK}, chunk seeds from Generator({seed})"
        model_name = getattr(model_or_samples, "name", None)
    n = samples.shape[0]
    if spec.shape is None or tuple(samples.shape[1:]) != tuple(spec.shape):
        raise DataError(
            f"samples shaped {tuple(samples.shape[1:])} do not fit {spec.name}, whose samples are "
            f"{None if spec.shape is None else tuple(spec.shape)}{_resolution_hint(samples, spec)}"
        )
    if not bool(torch.isfinite(samples).all()):
        bad = int((~torch.isfinite(samples)).flatten(1).any(1).sum())
        raise DataError(
            f"{bad} of {n} samples hold NaN or infinite values: the model (or its weights) is "
            "broken, and no metric of such samples means anything"
        )
    for extractor in used:
        extractor.check(samples, spec)
    generated = SampleSet(samples, spec)
    named = [("reference", real.reference), ("floor", floor), ("samples", generated)]
    for extractor in used:  # every set's features once, shared by all metrics that read them
        for what, sample_set in named:
            if sample_set is None:
                continue
            steps.start(f"{extractor.key} features: {what}")
            view = sample_set.using(extractor)
            if what != "samples" and getattr(extractor, "cache_reference", False):
                refcache.fill(view, extractor)
            else:
                view.memo(
                    f"extractor:{extractor.key}", lambda e=extractor, v=view: e.extract(v.x, v.data)
                )
            steps.end()
    values, params = _compute(built, generated, real.reference, steps)
    floor_values = (
        _compute(built, floor, real.reference, steps, " (floor)")[0] if floor is not None else {}
    )
    steps.start("done")
    return EvaluationResult(
        model=model_name,
        metrics=values,
        floors=floor_values,
        protocol=Protocol(
            data=spec.name,
            data_options=options,
            n=n,
            seed=seed,
            sampling=sampling,
            reference_split=real.reference_split,
            n_reference=len(real.reference),
            floor_split=real.floor_split if floor is not None else None,
            **_extractor_fields(used),
            params=params,
        ),
        seconds=round(time.perf_counter() - start, 2),
    )
