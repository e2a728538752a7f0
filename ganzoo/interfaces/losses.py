"""The contract of a GAN objective: losses from D's scores, optional penalties."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from ganzoo.interfaces.networks import Discriminator


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
    penalty_interval: int = 1
    """Lazy regularisation (Karras et al. 2020, StyleGAN2): the loop calls `penalty` only on
    every ``penalty_interval``-th D update (counted over the whole run, so a resumed run
    regularises on the same updates) and multiplies it by the interval, so that its expected
    weight is unchanged; 1 (the default) takes it on every update."""

    def __repr__(self) -> str:
        """``WassersteinGPLoss('wasserstein-gp', weight=10.0)``: the class, name and options."""
        config = getattr(self, "config", None)
        options = config.model_dump() if hasattr(config, "model_dump") else {}
        shown = [repr(self.name), *(f"{k}={v!r}" for k, v in options.items())]
        return f"{type(self).__name__}({', '.join(shown)})"

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
