"""Wasserstein losses: WGAN (Arjovsky et al. 2017) and WGAN-GP (Gulrajani et al. 2017).

The critic minimises ``E[D(G(z))] - E[D(x)]`` and G minimises ``-E[D(G(z))]`` on raw scores.
Plain WGAN needs a Lipschitz constraint on the critic, which is the architecture's job (weight
clipping in ``ganzoo.interfaces.Discriminator.constrain``); the loss does not clip.
WGAN-GP replaces the constraint by the gradient penalty of
``ganzoo.losses.penalties.gradient_penalty``.
"""

from __future__ import annotations

from torch import Tensor

from ganzoo.interfaces import Discriminator, GANLoss
from ganzoo.losses._common import WeightedPenalty
from ganzoo.losses.configs import WassersteinGPConfig
from ganzoo.losses.penalties import gradient_penalty


class WassersteinLoss(GANLoss):
    """The critic's estimate of the Wasserstein-1 distance, negated, and G's loss."""

    name = "wasserstein"

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """``fake.mean() - real.mean()``."""
        return fake_scores.mean() - real_scores.mean()

    def generator_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """``-fake.mean()``; ``real_scores`` is unused."""
        return -fake_scores.mean()


class WassersteinGPLoss(WeightedPenalty, WassersteinLoss):
    """WGAN loss plus ``weight * E[(||grad D(x_hat)||_2 - 1)^2]`` on random interpolates."""

    name = "wasserstein-gp"

    def __init__(self, config: WassersteinGPConfig | None = None) -> None:
        self.config = config or WassersteinGPConfig()
        self.weight = self.config.weight

    def unweighted_penalty(
        self, discriminator: Discriminator, real: Tensor, fake: Tensor, y: Tensor | None
    ) -> Tensor:
        """``gradient_penalty(D, real, fake, y)``."""
        return gradient_penalty(discriminator, real, fake, y)


def build_wasserstein(config: None = None) -> WassersteinLoss:
    """Builder of the ``wasserstein`` entry (it has no options)."""
    return WassersteinLoss()


def build_wasserstein_gp(config: WassersteinGPConfig | None = None) -> WassersteinGPLoss:
    """Builder of the ``wasserstein-gp`` entry."""
    return WassersteinGPLoss(config)
