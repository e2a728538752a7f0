"""The generator and discriminator every architecture implements (``nn.Module`` subclasses)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn


class Generator(nn.Module):
    """Maps a latent ``z`` (and a class label ``y`` if conditional) to a sample in [-1, 1].

    Subclasses set `latent_dim`, `num_classes` and `output_shape` in ``__init__`` and
    implement [`forward`][ganzoo.interfaces.Generator.forward]; one with structured latent codes
    (InfoGAN) also overrides [`sample_latent`][ganzoo.interfaces.Generator.sample_latent]. Two
    optional hooks: [`forward_truncated`][ganzoo.interfaces.Generator.forward_truncated] (the
    truncation trick at sampling: BigGAN, StyleGAN2) and
    [`regularizer`][ganzoo.interfaces.Generator.regularizer] (a term added to G's loss on the
    steps the architecture chooses: BigGAN's orthogonal regularisation, StyleGAN2's path length).
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

    def forward_truncated(self, z: Tensor, y: Tensor | None, truncation: float) -> Tensor:
        """Samples with the truncation trick; a generator that has one overrides this.

        What ``truncation`` means is the architecture's, but 1 (or more) always leaves the
        distribution as trained and smaller values trade variety for typical samples, down to
        0, one sample per class: StyleGAN2's psi (``w <- w_avg + psi (w - w_avg)``), BigGAN's
        threshold (each ``z_i`` from N(0, 1) truncated to [-t, t], by inverse CDF of the given
        ``z``).

        Args:
            z: ``(N, latent_dim)`` latents from `sample_latent`.
            y: ``(N,)`` class labels for a conditional generator; None otherwise.
            truncation: The strength, >= 0.

        Raises:
            ConfigError: This generator has no truncation trick (the default).
        """
        from ganzoo.errors import ConfigError

        raise ConfigError(
            f"{type(self).__name__} has no truncation trick: sample without truncation "
            "(architectures with one: biggan, stylegan2)"
        )

    def regularizer(self, step: int, z: Tensor, y: Tensor | None) -> Tensor | None:
        """A term added to G's loss at G update ``step``, or None (the default: none).

        The training loop calls it in every G update, after the adversarial loss, with the
        update's latents and labels; the architecture decides on which steps it returns a term
        (a lazy regulariser returns its term times its interval every ``interval`` steps).
        ``step`` counts G updates from 0 over the whole run and comes from the data position,
        so a resumed run regularises on the same steps as an uninterrupted one.

        Args:
            step: The index of this G update in the run (0-based).
            z: The update's latents ``(N, latent_dim)``.
            y: The update's class labels, or None.

        Returns:
            A scalar to add to G's loss, or None.
        """
        return None

    @torch.no_grad()
    def sample(
        self,
        n: int,
        y: Tensor | int | None = None,
        seed: int | None = None,
        truncation: float | None = None,
    ) -> Tensor:
        """``n`` samples in [-1, 1] under no_grad and in eval mode, on the generator's device.

        ``seed`` makes them reproducible (the latents are drawn on the CPU, the same on every
        device). ``y`` picks the classes of a conditional generator: one class (an int, else
        ``ConfigError``) or ``(n,)`` labels; without it, classes cycle through 0..num_classes-1.
        ``truncation`` applies the truncation trick (`forward_truncated`; a ``ConfigError``
        for a generator without one, or for a value below 0).
        """
        if not isinstance(n, int) or n < 1:
            from ganzoo.errors import ConfigError

            raise ConfigError(f"the number of samples must be a whole number >= 1, got {n!r}")
        device = self._device()
        gen = None
        if seed is not None:
            if not -(2**63) <= seed < 2**64:
                from ganzoo.errors import ConfigError

                raise ConfigError(f"seed {seed} does not fit in 64 bits (torch's generators)")
            gen = torch.Generator(device="cpu").manual_seed(seed)
        z = self.sample_latent(n, generator=gen, device="cpu").to(device)
        labels = self._labels(n, y, device)
        if truncation is not None and not (truncation >= 0 and math.isfinite(truncation)):
            from ganzoo.errors import ConfigError

            raise ConfigError(f"truncation must be a finite number >= 0, got {truncation!r}")
        was_training = self.training
        self.eval()
        try:
            if truncation is not None:
                return self.forward_truncated(z, labels, float(truncation))
            return self(z, labels)
        finally:
            self.train(was_training)

    def _labels(self, n: int, y: Tensor | int | None, device: torch.device) -> Tensor | None:
        if self.num_classes is None:
            if y is not None:
                from ganzoo.errors import ConfigError

                raise ConfigError(
                    "this model is unconditional: it takes no class (--class, y=); "
                    "conditional architectures are listed by `ganzoo list architectures`"
                )
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
    [`auxiliary_loss`][ganzoo.interfaces.Discriminator.auxiliary_loss]; those with a regulariser
    of their own, taken on the steps they choose (StyleGAN2's lazy R1), implement
    [`regularizer`][ganzoo.interfaces.Discriminator.regularizer].
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

    def regularizer(self, step: int, real: Tensor, y: Tensor | None) -> Tensor | None:
        """A term added to D's loss at D update ``step``, or None (the default: none).

        The training loop calls it in every D update, beside the loss's `penalty`, with the
        update's real batch; the term goes into the same backward pass and optimizer step, and
        into the ``penalty`` statistic. ``step`` counts D updates from 0 over the whole run
        (it is the data position, so a resumed run regularises on the same steps). A lazy
        regulariser returns ``interval x`` its term on every ``interval``-th step.

        Args:
            step: The index of this D update in the run (0-based).
            real: The update's real batch.
            y: Its class labels, or None.

        Returns:
            A scalar to add to D's loss, or None.
        """
        return None

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
