"""From metric names to the metrics that run on a data set, read from the registry's specs.

Which metrics fit a data set, which form its default set, which extractor each reads and how
many samples each needs all follow from the ``MetricSpec`` and ``ExtractorSpec`` entries, for
built-in and plugin metrics alike. Torch-free: nothing here builds a metric.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganzoo.errors import ConfigError, GanzooError
from ganzoo.registry import get_registry
from ganzoo.specs import DatasetSpec, ExtractorSpec, MetricSpec


@dataclass(frozen=True)
class ResolvedMetric:
    """A metric that fits the data, and the extractor whose features it reads there.

    Attributes:
        spec: The metric's spec.
        extractor: The extractor's spec, or None when the metric reads the raw values.
    """

    spec: MetricSpec
    extractor: ExtractorSpec | None

    @property
    def name(self) -> str:
        """The metric's registry name."""
        return self.spec.name


def fits(spec: MetricSpec | ExtractorSpec, data: DatasetSpec) -> bool:
    """Whether ``data`` is of a modality ``spec`` fits and among its data sets (if it names any)."""
    return data.modality in spec.modalities and (not spec.datasets or data.name in spec.datasets)


def _extractor(spec: MetricSpec, data: DatasetSpec) -> tuple[ExtractorSpec | None, str | None]:
    """The extractor ``spec`` reads on ``data`` (None: raw values), or why it does not fit."""
    if spec.extractor is None:
        return None, None
    try:
        extractor: ExtractorSpec = get_registry().get(spec.extractor, "extractor").spec  # type: ignore[assignment]
    except GanzooError as err:
        return None, f"its extractor cannot be used: {err}"
    if fits(extractor, data):
        return extractor, None
    if spec.raw_fallback:
        return None, None
    where = ", ".join(extractor.datasets) or " or ".join(extractor.modalities) + " data"
    return None, f"it needs {extractor.name} features, which fit {where} only"


def misfit(spec: MetricSpec, data: DatasetSpec) -> str | None:
    """Why metric ``spec`` does not fit data set ``data``, or None when it fits."""
    if data.modality not in spec.modalities:
        return (
            f"it is for {' or '.join(spec.modalities)} data and {data.name} is {data.modality} data"
        )
    if spec.datasets and data.name not in spec.datasets:
        return f"it is defined for {', '.join(spec.datasets)} only"
    if "classes" in spec.needs and data.num_classes is None:
        return f"it needs a data set with classes and {data.name} declares none"
    if "modes" in spec.needs and data.num_modes is None:
        return f"it needs a data set with known modes and {data.name} declares none"
    return _extractor(spec, data)[1]


def _all_metrics() -> list[MetricSpec]:
    return [e.spec for e in get_registry().list("metric")]  # type: ignore[misc]


def fitting_metrics(data: DatasetSpec) -> list[MetricSpec]:
    """Every registered metric that fits ``data``, in name order."""
    return [s for s in _all_metrics() if misfit(s, data) is None]


def default_metrics(data: DatasetSpec) -> list[MetricSpec]:
    """The metrics evaluated on ``data`` when none are named, in output order.

    A fitting metric is a default when ``data``'s name or modality is in its ``default_on``;
    when none is, the fitting metrics marked ``fallback`` are.
    """
    fitting = fitting_metrics(data)
    chosen = [s for s in fitting if data.name in s.default_on or data.modality in s.default_on]
    if not chosen:
        chosen = [s for s in fitting if s.fallback]
    return sorted(chosen, key=lambda s: s.order)


def resolve_metrics(
    names: str | list[str] | tuple[str, ...] | None, data: DatasetSpec
) -> list[ResolvedMetric]:
    """The metrics called ``names`` (a list or a comma-separated string; None: the defaults).

    Raises:
        UnknownNameError: A name is not registered (the message suggests close names).
        WrongKindError: A name is registered, but not as a metric.
        ConfigError: No names, a metric that does not fit ``data`` (the message lists those that
            do), or two metrics that report the same key.
    """
    registry = get_registry()
    if names is None:
        specs = default_metrics(data)
    else:
        parts = names.split(",") if isinstance(names, str) else list(names)
        wanted = list(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))
        if not wanted:
            raise ConfigError("no metric given; `ganzoo list metrics` shows them")
        specs = [registry.get(name, "metric").spec for name in wanted]  # type: ignore[misc]
    resolved: list[ResolvedMetric] = []
    reported: dict[str, str] = {}
    for spec in specs:
        reason = misfit(spec, data)
        if reason is not None:
            fitting = ", ".join(s.name for s in fitting_metrics(data)) or "none"
            raise ConfigError(
                f"metric {spec.name!r} does not fit {data.name}: {reason}; metrics that fit "
                f"{data.name}: {fitting}"
            )
        for key in spec.outputs:
            if key in reported:
                raise ConfigError(
                    f"metrics {reported[key]!r} and {spec.name!r} both report {key!r}; "
                    "evaluate them in separate runs"
                )
            reported[key] = spec.name
        resolved.append(ResolvedMetric(spec, _extractor(spec, data)[0]))
    return resolved


def check_counts(metrics: list[ResolvedMetric], generated: int, reference: int) -> None:
    """Raise ``ConfigError`` when a set holds fewer samples than a metric needs."""
    for m in metrics:
        need = m.spec.min_samples
        for what, have in (("generated", generated), ("reference", reference)):
            if have < need:
                why = f" ({m.spec.min_samples_why})" if m.spec.min_samples_why else ""
                raise ConfigError(
                    f"metric {m.name!r} needs at least {need} {what} samples{why}; got {have}"
                    + ("; raise -n" if what == "generated" else "")
                )
