"""The original GAN objective (Goodfellow et al. 2014): minimax and non-saturating forms.

Both are computed from D's logits with softplus, never from sigmoid probabilities, so they stay
finite for logits of any magnitude.
"""

from __future__ import annotations

from torch import Tensor

from ganzoo.interfaces import GANLoss
from ganzoo.losses._common import bce_fake, bce_real, nonsaturating_d_loss


class MinimaxLoss(GANLoss):
    """D minimises ``-E[log D(x)] - E[log(1 - D(G(z)))]``; G minimises ``E[log(1 - D(G(z)))]``.

    G's loss equals ``-E[softplus(D(G(z)))]``; it saturates (vanishing gradient) when D rejects
    fakes confidently, which is what the non-saturating form fixes.
    """

    name = "minimax"

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """``softplus(-real).mean() + softplus(fake).mean()`` (``2 ln 2`` at logits 0)."""
        return nonsaturating_d_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """``E[log(1 - sigmoid(fake))] = -softplus(fake).mean()``; ``real_scores`` is unused."""
        return -bce_fake(fake_scores)


class NonSaturatingLoss(GANLoss):
    """D as in the minimax game; G minimises ``-E[log D(G(z))] = softplus(-fake).mean()``."""

    name = "non-saturating"

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """``softplus(-real).mean() + softplus(fake).mean()``."""
        return nonsaturating_d_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """``softplus(-fake).mean()``; ``real_scores`` is unused."""
        return bce_real(fake_scores)


def build_minimax(config: None = None) -> MinimaxLoss:
    """Builder of the ``minimax`` entry (it has no options)."""
    return MinimaxLoss()


def build_non_saturating(config: None = None) -> NonSaturatingLoss:
    """Builder of the ``non-saturating`` entry (it has no options)."""
    return NonSaturatingLoss()


__all__ = ["MinimaxLoss", "NonSaturatingLoss", "build_minimax", "build_non_saturating"]
