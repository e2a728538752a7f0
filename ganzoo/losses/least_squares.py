"""Least-squares GAN (Mao et al. 2017, LSGAN).

D minimises ``1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]``; G minimises
``1/2 E[(D(G(z)) - c)^2]``, on D's raw (linear) outputs. The paper's default coding is
``a = 0, b = c = 1``.
"""

from __future__ import annotations

from torch import Tensor

from ganzoo.interfaces import GANLoss
from ganzoo.losses.configs import LeastSquaresConfig


class LeastSquaresLoss(GANLoss):
    """LSGAN's objective with targets ``a``, ``b``, ``c`` (including the paper's 1/2 factors)."""

    name = "least-squares"

    def __init__(self, config: LeastSquaresConfig | None = None) -> None:
        self.config = config or LeastSquaresConfig()
        self.a, self.b, self.c = self.config.a, self.config.b, self.config.c

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """``0.5 * mean((real - b)^2) + 0.5 * mean((fake - a)^2)``."""
        return (
            0.5 * (real_scores - self.b).pow(2).mean() + 0.5 * (fake_scores - self.a).pow(2).mean()
        )

    def generator_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """``0.5 * mean((fake - c)^2)``; ``real_scores`` is unused."""
        return 0.5 * (fake_scores - self.c).pow(2).mean()


def build_least_squares(config: LeastSquaresConfig | None = None) -> LeastSquaresLoss:
    """Builder of the ``least-squares`` entry."""
    return LeastSquaresLoss(config)
