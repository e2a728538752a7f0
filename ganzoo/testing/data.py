"""Data for the checks (small synthetic sets), and the contracts of data sets and metrics."""

from __future__ import annotations

from typing import Any

import torch

from ganzoo.building import build_entry
from ganzoo.data.objects import as_data
from ganzoo.data.tensor_data import TensorData
from ganzoo.errors import DataError, WeightsError
from ganzoo.interfaces import Metric, SampleSet
from ganzoo.metrics.resolve import fits, misfit
from ganzoo.registry import get_registry
from ganzoo.specs import ArchitectureSpec, DatasetSpec, ExtractorSpec, MetricSpec
from ganzoo.testing._report import expect, finite, step
from ganzoo.testing.metadata import check_spec


def synthetic_data(
    shape: tuple[int, ...], num_classes: int | None = None, n: int = 64, seed: int = 0
) -> TensorData:
    """``n`` random samples of ``shape`` in [-1, 1] (images ``(C, H, W)`` or points ``(D,)``).

    Args:
        shape: One sample's shape.
        num_classes: Give the samples labels ``0..num_classes-1`` (cycled); None: no labels.
        n: How many samples.
        seed: The seed they are drawn with.

    Returns:
        In-memory data with a spec sized from them (as a user's own tensors would be).
    """
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, *shape, generator=gen) * 2 - 1
    labels = torch.arange(n) % num_classes if num_classes else None
    return as_data(x, labels)


def data_for(spec: ArchitectureSpec, modality: str) -> TensorData:
    """Synthetic data an architecture takes in ``modality``.

    Shaped like its default data set (and with its classes) where that data set is of this
    modality and has a fixed shape, else ``3x32x32`` images or 2-D points (10 classes for a
    conditional architecture).
    """
    default = get_registry().get(spec.default_data).spec
    shape: tuple[int, ...] = (3, 32, 32) if modality == "image" else (2,)
    classes = 10 if spec.conditional else None
    if isinstance(default, DatasetSpec) and default.modality == modality and default.shape:
        shape = default.shape
        classes = default.num_classes if spec.conditional else None
    return synthetic_data(shape, classes)


def check_dataset(name: str, **options: Any) -> TensorData:
    """Check data set ``name``: what its builder returns and how it describes it.

    Builds it twice with ``options`` (pass a small ``limit`` or ``size`` to keep it fast) and
    checks: it is a ``TensorData`` carrying a spec of this entry, whose shape matches the
    samples and whose modality matches their layout; images are uint8 or floats in [-1, 1] and
    points are finite floats; labels exist exactly when the spec has ``num_classes``, are
    integers in range; ``batch`` returns what training reads; two builds are identical.

    Args:
        name: The registered data set.
        **options: Options of its config model.

    Returns:
        The built data.

    Raises:
        ContractError: Something is wrong; the message says what to fix.
    """
    spec = check_spec(name, "dataset")
    where = f"dataset {name!r}"
    fix = "make the builder take (config, spec)"
    with step(where, f"building it with {options}", fix, missing=(DataError,)):
        data = build_entry(name, **options)
    expect(
        isinstance(data, TensorData),
        where,
        f"its builder returned {type(data).__name__}",
        "return ganzoo.data.tensor_data.TensorData(x, y, spec) (ganzoo.data.objects.as_data "
        "makes one from tensors)",
    )
    built = data.spec
    expect(
        isinstance(built, DatasetSpec) and built.name == spec.name,
        where,
        f"the built data carries spec {getattr(built, 'name', built)!r}",
        "pass the `spec` the builder was given (or derived_spec(spec, shape, ...)) to TensorData",
    )
    expect(len(data) > 0, where, "it built no samples", "check the files and options")
    expect(
        built.shape is not None and tuple(data.x.shape[1:]) == tuple(built.shape),
        where,
        f"samples have shape {tuple(data.x.shape[1:])} but the spec says {built.shape}",
        "build the spec from the real shape: ganzoo.data.tensor_data.derived_spec",
    )
    layout_ok = (built.modality == "image" and data.x.dim() == 4 and 1 <= data.x.shape[1] <= 4) or (
        built.modality == "points" and data.x.dim() == 2
    )
    expect(
        layout_ok,
        where,
        f"{built.modality} data of shape {tuple(data.x.shape)}",
        "images are (N, C, H, W) with 1-4 channels; points are (N, D)",
    )
    x, _y = data.batch(torch.arange(min(len(data), 64)))
    expect(
        x.is_floating_point() and finite(x),
        where,
        "a batch holds non-finite values",
        "clean the data",
    )
    if built.modality == "image":
        expect(
            data.x.dtype == torch.uint8 or bool((data.x.abs() <= 1 + 1e-5).all()),
            where,
            f"float images span [{float(data.x.min()):.3g}, {float(data.x.max()):.3g}]",
            "store uint8 images or floats scaled to [-1, 1]",
        )
    _check_labels(data, built, where)
    again = build_entry(name, **options)
    expect(
        torch.equal(again.x, data.x)
        and (data.y is None or (again.y is not None and torch.equal(again.y, data.y))),
        where,
        "two builds with the same options differ",
        "draw random data from a generator seeded by a `seed` option",
    )
    return data


def _check_labels(data: TensorData, spec: DatasetSpec, where: str) -> None:
    if spec.num_classes is None:
        expect(
            data.y is None,
            where,
            "it has labels but the spec has no num_classes",
            "set num_classes",
        )
        return
    expect(
        data.y is not None,
        where,
        f"the spec has {spec.num_classes} classes but no labels",
        "return y",
    )
    y = data.y
    assert y is not None
    expect(
        not y.is_floating_point() and y.shape == (len(data),),
        where,
        f"labels are {y.dtype} of shape {tuple(y.shape)}",
        "labels are integer class ids of shape (N,)",
    )
    expect(
        int(y.min()) >= 0 and int(y.max()) < spec.num_classes,
        where,
        f"labels span {int(y.min())}..{int(y.max())} with num_classes={spec.num_classes}",
        "use class ids 0..num_classes-1",
    )


def check_metric(
    name: str, data: Any = None, n: int | None = None, **options: Any
) -> dict[str, float]:
    """Check metric ``name`` on two real sets of one data set.

    Computes it on a real set against another real reference set of ``data`` (default: the
    first data set its spec names, else ``ring-8`` for points or synthetic ``3x32x32`` images):
    it returns a finite float for exactly the keys in ``spec.outputs``, the same on a second
    call, and ``protocol`` returns a dict.

    Args:
        name: The registered metric.
        data: Built data (``TensorData``), a data set name, or None (see above).
        n: Samples per set (default: ``max(200, spec.min_samples)``).
        **options: Options of its config model.

    Returns:
        The values it computed.

    Raises:
        ContractError: Something is wrong; the message says what to fix.
    """
    spec = check_spec(name, "metric")
    assert isinstance(spec, MetricSpec)
    where = f"metric {name!r}"
    n = n or max(200, spec.min_samples)
    real = _metric_data(spec, data, 2 * n)
    with step(where, "building it", "make the builder take (config, spec) and return a Metric"):
        metric = build_entry(name, **options)
    why = misfit(spec, real.spec)
    expect(why is None, where, f"it does not fit {real.spec.name}: {why}", "pass data= it fits")
    expect(
        isinstance(metric, Metric),
        where,
        f"its builder returned {type(metric).__name__}",
        "return a ganzoo.interfaces.Metric",
    )
    extractor = None
    if spec.extractor and fits(get_registry().get(spec.extractor).spec, real.spec):  # type: ignore[arg-type]
        extractor = build_entry(spec.extractor)
    x = real.scale(real.x).float()
    generated = SampleSet(x[:n], real.spec, extractor)
    reference = SampleSet(x[n:], real.spec, extractor)
    with step(where, "compute(generated, reference)", "see the cause", (DataError, WeightsError)):
        values = metric.compute(generated, reference)
        again = metric.compute(generated, reference)
        protocol = metric.protocol(generated, reference)
    expect(
        isinstance(values, dict),
        where,
        f"compute returned {type(values).__name__}",
        "return {key: float}",
    )
    expect(
        set(values) == set(spec.outputs),
        where,
        f"compute returned keys {sorted(values)}, the spec declares outputs {list(spec.outputs)}",
        "return exactly the keys in `outputs`",
    )
    bad = [k for k, v in values.items() if not (isinstance(v, float | int) and finite(v))]
    expect(not bad, where, f"values of {bad} are not finite numbers", "return plain finite floats")
    expect(
        values == again,
        where,
        "two calls on the same sets differ",
        "seed any randomness inside compute",
    )
    expect(
        isinstance(protocol, dict),
        where,
        "protocol() did not return a dict",
        "return {name: value}",
    )
    return {k: float(v) for k, v in values.items()}


def _metric_data(spec: MetricSpec, data: Any, n: int) -> TensorData:
    if isinstance(data, TensorData):
        return data
    if data is None and spec.datasets:
        data = spec.datasets[0]
    if isinstance(data, str):
        options = _small(data, n)
        return build_entry(data, **options)  # type: ignore[no-any-return]
    if "points" in spec.modalities:
        return build_entry("ring-8", size=n)  # type: ignore[no-any-return]
    extractor = get_registry().get(spec.extractor).spec if spec.extractor else None
    if isinstance(extractor, ExtractorSpec) and extractor.datasets:
        name = extractor.datasets[0]
        return build_entry(name, **_small(name, n))  # type: ignore[no-any-return]
    x = torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    labels = torch.arange(n) % 10 if "classes" in spec.needs else None
    return as_data(x, labels)


def _small(name: str, n: int) -> dict[str, Any]:
    """An option that keeps data set ``name`` to about ``n`` samples, where it has one."""
    from ganzoo.building import config_model

    model = config_model(get_registry().get(name).spec)
    fields = model.model_fields if model is not None else {}
    for key in ("limit", "size"):
        if key in fields:
            return {key: n}
    return {}
