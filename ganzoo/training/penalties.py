"""What D's loss gains besides its objective at one update: the loss's penalty and D's own.

Both get the index of the D update in the run, taken from the data position (one real batch
per D update), so a lazy term fires on the same updates after a resume:

- the loss's `GANLoss.penalty` (R1, R2, WGAN-GP's gradient penalty, ...): on every update, or
  lazily, on every ``penalty_interval``-th update only and times the interval (StyleGAN2's lazy
  regularisation) when the loss sets `GANLoss.penalty_interval` above 1;
- the discriminator's `Discriminator.regularizer` (e.g. StyleGAN2's D, whose lazy R1 is its
  own), which handles its own laziness.
"""

from __future__ import annotations

from torch import Tensor

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Discriminator, GANLoss


class DPenalties:
    """The penalty terms of D's loss (see the module docstring).

    Args:
        loss: The GAN objective; a loss without a ``penalty_interval`` attribute (a duck-typed
            plugin) is penalised on every update.
        D: The discriminator, whose ``regularizer`` is added.

    Raises:
        ConfigError: the loss's ``penalty_interval`` is not an int >= 1, naming the loss.
    """

    def __init__(self, loss: GANLoss, D: Discriminator) -> None:
        interval = getattr(loss, "penalty_interval", 1)
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
            raise ConfigError(
                f"the loss {type(loss).__name__} sets penalty_interval={interval!r}: it must be "
                "an int >= 1 (1: the penalty on every D update; K: lazily, every K-th, times K)"
            )
        self.loss, self.D, self.interval = loss, D, interval

    def __call__(self, d_index: int, real: Tensor, fake: Tensor, y: Tensor | None) -> Tensor | None:
        """The sum of the penalty terms at D update ``d_index``, or None when none applies.

        Args:
            d_index: The D update's index in the run (0-based).
            real: The real batch as D saw it (augmented, detached).
            fake: The fake batch as D saw it (augmented, detached).
            y: The real batch's labels, or None.
        """
        penalty = self._loss_penalty(d_index, real, fake, y)
        own = self.D.regularizer(d_index, real, y)
        if own is None:
            return penalty
        return own if penalty is None else penalty + own

    def _loss_penalty(
        self, d_index: int, real: Tensor, fake: Tensor, y: Tensor | None
    ) -> Tensor | None:
        """The loss's penalty at D update ``d_index`` (lazy when the interval is above 1)."""
        if d_index % self.interval:
            return None
        penalty = self.loss.penalty(self.D, real, fake, y)
        if penalty is None or self.interval == 1:
            return penalty
        return penalty * self.interval
