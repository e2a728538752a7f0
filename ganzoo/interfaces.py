"""The contract every architecture, loss, diagnostic, metric and feature extractor implements.

These base classes import torch; nothing on the listing path (``ganzoo list``/``info``/
``plugins``) imports this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

import torch
from pydantic import BaseModel
from torch import Tensor, nn

from ganzoo.errors import DataError
from ganzoo.events import Alarm, StepRecord
from ganzoo.specs import DatasetSpec, ExtractorSpec, MetricSpec

_T = TypeVar("_T")


class Generator(nn.Module):
    """Maps a latent ``z`` (and a class label ``y`` if conditional) to a sample in [-1, 1].

    Subclasses set `latent_dim`, `num_classes` and `output_shape` in ``__init__`` and
    implement [`forward`][ganzoo.interfaces.Generator.forward]; one with structured latent codes
    (InfoGAN) also overrides [`sample_latent`][ganzoo.interfaces.Generator.sample_latent].
    """

    latent_dim: int
    """Size of the latent vector ``z`` that `sample_latent` draws."""
    num_classes: int | None
    """Number of classes a conditional generator takes in ``y``; None if unconditional."""
    output_shape: tuple[int, ...]
    """One sample's shape, e.g. ``(1, 28, 28)`` or ``(2,)``."""

    def sample_latent(
        self,
        n: int,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """Draw ``n`` latents; N(0, I) unless a subclass adds structured codes (InfoGAN).

        Args:
            n: How many latents.
            generator: The random generator to draw from (None: torch's global one).
            device: Where to create them (None: the device of the generator's parameters).

        Returns:
            ``(n, latent_dim)`` latents, the input of `forward`.
        """
        device = device if device is not None else self._device()
        return torch.randn(n, self.latent_dim, generator=generator, device=device)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:  # pragma: no cover - abstract
        """Map latents to samples; every subclass implements this.

        Args:
            z: ``(N, latent_dim)`` latents from `sample_latent`.
            y: ``(N,)`` class labels (long) for a conditional generator; None otherwise.

        Returns:
            Samples of shape ``(N, *output_shape)`` in [-1, 1].
        """
        raise NotImplementedError

    @torch.no_grad()
    def sample(self, n: int, y: Tensor | int | None = None, seed: int | None = None) -> Tensor:
        """``n`` samples in [-1, 1] under no_grad and in eval mode, on the generator's device.

        ``seed`` makes them reproducible (the latents are drawn on the CPU, the same on every
        device). ``y`` picks the classes of a conditional generator: one class (an int, else
        ``ConfigError``) or ``(n,)`` labels; without it, classes cycle through 0..num_classes-1.
        """
        device = self._device()
        gen = None
        if seed is not None:
            gen = torch.Generator(device="cpu").manual_seed(seed)
        z = self.sample_latent(n, generator=gen, device="cpu").to(device)
        labels = self._labels(n, y, device)
        was_training = self.training
        self.eval()
        try:
            return self(z, labels)
        finally:
            self.train(was_training)

    def _labels(self, n: int, y: Tensor | int | None, device: torch.device) -> Tensor | None:
        if self.num_classes is None:
            return None
        if y is None:
            return torch.arange(n, device=device) % self.num_classes
        if isinstance(y, int):
            if not 0 <= y < self.num_classes:
                from ganzoo.errors import ConfigError

                raise ConfigError(
                    f"class {y} is out of range: this model has classes 0..{self.num_classes - 1}"
                )
            return torch.full((n,), y, dtype=torch.long, device=device)
        return y.to(device=device, dtype=torch.long)

    def _device(self) -> torch.device:
        for p in self.parameters():
            return p.device
        return torch.device("cpu")


@dataclass
class DiscriminatorOutput:
    """Everything one discriminator pass computes."""

    scores: Tensor
    """Raw scores (logits or critic values), shape ``(N,)``."""
    features: Tensor | None = None
    """The penultimate activations, shape ``(N, F)`` (feature matching, diagnostics)."""
    aux: dict[str, Tensor] = field(default_factory=dict)
    """Auxiliary heads by name: ``"class_logits"`` (ACGAN, ``(N, num_classes)``), ``"codes"``
    (InfoGAN's Q head), or anything a plugin adds."""


class Discriminator(nn.Module):
    """Scores samples as real or generated.

    Subclasses implement [`forward_all`][ganzoo.interfaces.Discriminator.forward_all], which
    returns a [`DiscriminatorOutput`][ganzoo.interfaces.DiscriminatorOutput] with the scores, the
    penultimate features and any auxiliary heads. [`forward`][ganzoo.interfaces.Discriminator.forward]
    returns the scores alone. Architectures with a weight constraint (WGAN's clipping) implement
    [`constrain`][ganzoo.interfaces.Discriminator.constrain], which the training loop calls after
    every D optimizer step; those with auxiliary heads (ACGAN, InfoGAN) implement
    [`auxiliary_loss`][ganzoo.interfaces.Discriminator.auxiliary_loss].
    """

    num_classes: int | None = None
    """Number of classes a conditional discriminator takes in ``y``; None if unconditional."""

    def forward_all(
        self, x: Tensor, y: Tensor | None = None
    ) -> DiscriminatorOutput:  # pragma: no cover
        """Score a batch and return everything the pass computed; every subclass implements this.

        Args:
            x: ``(N, *shape)`` samples in [-1, 1], real or generated.
            y: ``(N,)`` class labels (long) for a conditional discriminator; None otherwise.

        Returns:
            The scores ``(N,)``, the penultimate features ``(N, F)`` and any auxiliary heads.
        """
        raise NotImplementedError

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The raw scores ``(N,)`` of `forward_all` alone."""
        return self.forward_all(x, y).scores

    def constrain(self) -> None:
        """Apply a weight constraint after every D optimizer step (no-op unless overridden)."""

    def auxiliary_loss(
        self,
        out: DiscriminatorOutput,
        y: Tensor | None,
        z: Tensor | None,
        real: bool,
    ) -> Tensor | None:
        """Loss of the auxiliary heads, or None (the default: no auxiliary heads).

        The training loop adds it to D's loss for the real batch (``real=True``, ``z=None``) and
        for the detached fake batch (``real=False``, with the latents ``z`` and labels ``y`` the
        fakes were made from), and to G's loss for the fake batch. ACGAN returns the
        cross-entropy of ``out.aux["class_logits"]`` against ``y``; InfoGAN returns the
        reconstruction loss of the codes in ``z`` from ``out.aux["codes"]`` (None for real data).

        Args:
            out: This discriminator's output on the batch.
            y: The batch's class labels (None for an unconditional model).
            z: The latents the fakes were made from; None for the real batch.
            real: Whether the batch is real data.

        Returns:
            A scalar loss, or None when the heads have nothing to add for this batch.
        """
        return None


class GANLoss:
    """A GAN objective. It computes losses from D's raw scores and never owns optimizers.

    Subclasses implement [`discriminator_loss`][ganzoo.interfaces.GANLoss.discriminator_loss]
    and [`generator_loss`][ganzoo.interfaces.GANLoss.generator_loss]; a loss with a regulariser
    on D (a gradient penalty) also implements [`penalty`][ganzoo.interfaces.GANLoss.penalty].
    What D's scores are under the loss, and whether G's objective saturates, is declared by its
    [`LossSpec`][ganzoo.specs.LossSpec], not here.
    """

    name: ClassVar[str] = "loss"
    """The loss's name in its error messages (usually its registry name)."""
    uses_features: ClassVar[bool] = False
    """When True, the training loop passes [`DiscriminatorOutput`][ganzoo.interfaces.DiscriminatorOutput]
    objects instead of score tensors to `generator_loss` (feature matching needs D's features)."""
    generator_needs_real: ClassVar[bool] = False
    """When True, the loop also passes D's scores on a real batch to `generator_loss`
    (relativistic losses); otherwise ``real_scores`` is None."""

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """D's loss, without the penalty (the loop adds `penalty` to it).

        Args:
            real_scores: D's raw scores ``(N,)`` on a real batch.
            fake_scores: D's raw scores ``(N,)`` on a generated batch (G detached).

        Returns:
            The scalar loss D minimises.
        """
        raise NotImplementedError

    def generator_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """G's loss.

        Args:
            fake_scores: D's raw scores ``(N,)`` on a generated batch (D's whole
                `DiscriminatorOutput` when `uses_features` is True).
            real_scores: D's scores on a real batch when `generator_needs_real` is True, else
                None.

        Returns:
            The scalar loss G minimises.
        """
        raise NotImplementedError

    def penalty(
        self,
        discriminator: Discriminator,
        real: Tensor,
        fake: Tensor,
        y: Tensor | None = None,
    ) -> Tensor | None:
        """Weighted penalty on D (weight included), or None when the loss has none.

        Args:
            discriminator: D, to take gradients through (a gradient penalty).
            real: The real batch.
            fake: The generated batch (detached from G).
            y: The batch's class labels for a conditional D; None otherwise.

        Returns:
            The *weighted* regulariser the loop adds to D's loss, or None (the default), so that
            no extra backward pass is made.
        """
        return None


class Diagnostic:
    """Watches training and samples; returns [`Alarm`][ganzoo.events.Alarm] events.

    [`on_step`][ganzoo.interfaces.Diagnostic.on_step] sees a
    [`StepRecord`][ganzoo.events.StepRecord] every ``log_every`` steps;
    [`on_samples`][ganzoo.interfaces.Diagnostic.on_samples] sees a batch of generated samples
    every ``sample_every`` steps and, in ``ganzoo diagnose``, those of a finished model. A
    detector implements either or both; the defaults raise nothing.
    """

    name: ClassVar[str] = "diagnostic"
    """The detector's name; the built-in detectors give it to their alarms as ``source``."""
    wants_layer_grad_norms: ClassVar[bool] = False
    """Asks the loop to record G's per-layer gradient norms (``StepRecord.grad_norms_g``)."""
    wants_samples: ClassVar[bool] = False
    """Asks the loop to call `on_samples`; without it only `on_step` is called."""

    def on_step(self, record: StepRecord) -> list[Alarm]:
        """Look at one record of the training statistics.

        Args:
            record: The statistics averaged over the steps since the last record.

        Returns:
            The alarms raised at this record (none by default).
        """
        return []

    def on_samples(self, step: int, samples: Tensor, context: dict[str, object]) -> list[Alarm]:
        """Look at a batch of generated samples (only when `wants_samples` is True).

        Args:
            step: The training step the samples were made at.
            samples: ``(N, *shape)`` samples in [-1, 1].
            context: ``"data"``: the run's data set (a ``TensorData``, from which a detector
                draws real samples or labels), and during training also ``"loss"`` (the
                loss's name), ``"device"`` and ``"generator"`` (the EMA generator if kept).

        Returns:
            The alarms raised on these samples (none by default).
        """
        return []


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
