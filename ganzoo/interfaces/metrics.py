"""The contract of evaluation entries: feature extractors, sample sets and metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel
from torch import Tensor

from ganzoo.errors import DataError
from ganzoo.specs import DatasetSpec, ExtractorSpec, MetricSpec

_T = TypeVar("_T")


class FeatureExtractor:
    """Maps samples to features that metrics compare (a classifier, an embedding network).

    Built by its [`ExtractorSpec`][ganzoo.specs.ExtractorSpec]'s builder as
    ``builder(config, spec)``; it must check its weights against ``spec.sha256`` when they load.
    Subclasses implement [`extract`][ganzoo.interfaces.FeatureExtractor.extract] and may
    implement [`check`][ganzoo.interfaces.FeatureExtractor.check]. Metrics never call it
    directly: they read [`SampleSet.features`][ganzoo.interfaces.SampleSet.features] (and
    [`SampleSet.output`][ganzoo.interfaces.SampleSet.output]), which run `extract` once per set.

    Args:
        config: The entry's validated options (None: it takes none).
        spec: The registry entry it was built from.
    """

    def __init__(self, config: BaseModel | None = None, spec: ExtractorSpec | None = None) -> None:
        self.config = config
        """The entry's validated options (None: it takes none)."""
        self.spec = spec
        """The registry entry it was built from (None for one built by hand)."""

    @property
    def key(self) -> str:
        """The name its outputs are cached under: the registry name, else the class name."""
        return self.spec.name if self.spec is not None else type(self).__qualname__

    def check(self, x: Tensor, data: DatasetSpec) -> None:
        """Raise ``DataError`` when samples ``x`` of ``data`` do not fit (called before any work).

        Args:
            x: The samples, ``(N, *data.shape)``.
            data: The data set they belong to.
        """

    def extract(self, x: Tensor, data: DatasetSpec) -> dict[str, Tensor]:  # pragma: no cover
        """The outputs named in ``spec.outputs`` for samples ``x`` of ``data``.

        Args:
            x: The samples, ``(N, *data.shape)``, float on the CPU.
            data: The data set they belong to.

        Returns:
            ``{"features": (N, D) float64}`` on the CPU, plus ``"probs"`` ``(N, C)`` and
            ``"labels"`` ``(N,)`` for a classifier.
        """
        raise NotImplementedError


class SampleSet:
    """One set of samples, generated or real, as a metric sees it.

    Whatever is derived from the samples (extractor outputs, anything `memo` computes) is
    computed once and shared by every metric that reads the set; evaluation caches the real
    reference sets per process, so their features are computed once for all evaluations.

    Args:
        x: The samples, ``(N, *data.shape)``, float on the CPU.
        data: The spec of the data set they belong to.
        extractor: The extractor whose features `features` returns (None: raw values).
        cache: A cache to share with another view of the same samples (`using` passes it).
    """

    def __init__(
        self,
        x: Tensor,
        data: DatasetSpec,
        extractor: FeatureExtractor | None = None,
        *,
        cache: dict[str, object] | None = None,
    ) -> None:
        self.x = x
        """The samples, ``(N, *data.shape)``, float on the CPU."""
        self.data = data
        """The spec of the data set they belong to."""
        self.extractor = extractor
        """The extractor whose features `features` returns (None: raw values)."""
        self._cache: dict[str, object] = {} if cache is None else cache

    def __len__(self) -> int:
        """The number of samples ``N``."""
        return int(self.x.shape[0])

    def using(self, extractor: FeatureExtractor | None) -> SampleSet:
        """The same samples and cache, seen through ``extractor`` (None: raw values)."""
        return SampleSet(self.x, self.data, extractor, cache=self._cache)

    def output(self, name: str) -> Tensor:
        """Output ``name`` (``"features"``, ``"probs"``, ``"labels"``) of the set's extractor.

        Computed for every sample on first use and cached with the set.

        Raises:
            DataError: The set has no extractor, or the extractor does not compute ``name``.
        """
        if self.extractor is None:
            raise DataError(f"no feature extractor fits {self.data.name}: {name!r} is unavailable")
        key = f"extractor:{self.extractor.key}"
        if key not in self._cache:
            self._cache[key] = self.extractor.extract(self.x, self.data)
        outputs: dict[str, Tensor] = self._cache[key]  # type: ignore[assignment]
        if name not in outputs:
            raise DataError(
                f"extractor {self.extractor.key!r} computes {', '.join(outputs)} on "
                f"{self.data.name}, not {name!r}"
            )
        return outputs[name]

    @property
    def features(self) -> Tensor:
        """``(N, D)`` float64: the extractor's features, or the flattened samples without one."""
        if self.extractor is None:
            return self.x.flatten(1).double()
        return self.output("features")

    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per set and ``key`` (e.g. bins fitted on a reference set)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]  # type: ignore[return-value]


class Metric:
    """A metric of generated samples against a real reference set.

    Built by its [`MetricSpec`][ganzoo.specs.MetricSpec]'s builder as ``builder(config, spec)``.
    Subclasses implement [`compute`][ganzoo.interfaces.Metric.compute]; they read pinned
    parameters (k, bins, thresholds) from `params`, so the spec that ``ganzoo info`` shows is
    what ran. Evaluation calls `compute` twice: on the generated samples and on real training
    samples (the real-vs-real floor), each time against the same real reference set.

    Args:
        config: The entry's validated options (None: it takes none).
        spec: The registry entry it was built from.
    """

    def __init__(self, config: BaseModel | None = None, spec: MetricSpec | None = None) -> None:
        self.config = config
        """The entry's validated options (None: it takes none)."""
        self.spec = spec
        """The registry entry it was built from (None for one built by hand)."""

    @property
    def params(self) -> dict[str, float | int | str]:
        """The protocol parameters its spec pins (empty without a spec)."""
        return dict(self.spec.params) if self.spec is not None else {}

    def compute(
        self, generated: SampleSet, reference: SampleSet
    ) -> dict[str, float]:  # pragma: no cover - abstract
        """The metric's values, keyed as ``spec.outputs``.

        Args:
            generated: The samples under test (``generated.features`` are the features of the
                metric's extractor, or the raw values).
            reference: The real reference set of the same data set; it may hold more samples.

        Returns:
            ``{key: value}`` for every key in ``spec.outputs``.
        """
        raise NotImplementedError

    def protocol(self, generated: SampleSet, reference: SampleSet) -> dict[str, float | int | str]:
        """Protocol entries that depend on the sets, recorded beside ``spec.params``; none here.

        Args:
            generated: The samples under test.
            reference: The real reference set.

        Returns:
            Extra protocol parameters, e.g. how many reference samples were compared.
        """
        return {}
