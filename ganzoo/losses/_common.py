"""Shared helpers of the built-in losses: logit-space BCE terms and argument checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch.nn.functional as F
from torch import Tensor

if TYPE_CHECKING:
    from ganzoo.interfaces import Discriminator


def bce_real(logits: Tensor) -> Tensor:
    """``E[-log sigmoid(logits)]``: BCE against target 1, computed as ``softplus(-logits)``.

    Finite for any finite logit (no sigmoid is ever taken).
    """
    return F.softplus(-logits).mean()


def bce_fake(logits: Tensor) -> Tensor:
    """``E[-log(1 - sigmoid(logits))]``: BCE against target 0, computed as ``softplus(logits)``."""
    return F.softplus(logits).mean()


def nonsaturating_d_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """The standard GAN discriminator loss ``-E[log D(x)] - E[log(1 - D(G(z)))]`` from logits."""
    return bce_real(real_scores) + bce_fake(fake_scores)


def require_real(real_scores: Tensor | None, loss: str) -> Tensor:
    """Return ``real_scores``, or raise a ValueError saying that ``loss`` needs them for G."""
    if real_scores is None:
        raise ValueError(
            f"the {loss!r} generator loss needs the real batch's scores: "
            "call generator_loss(fake_scores, real_scores)"
        )
    return real_scores


class WeightedPenalty:
    """Mixin for losses whose penalty is ``penalty_weight * unweighted_penalty(...)``.

    Subclasses keep their weight in ``weight`` (or override ``penalty_weight``) and implement
    ``unweighted_penalty``; the penalty is None when the weight is 0, so the loop skips the
    extra backward entirely.
    """

    weight: float = 0.0

    @property
    def penalty_weight(self) -> float:
        """The factor in front of the unweighted penalty."""
        return self.weight

    def unweighted_penalty(
        self, discriminator: Discriminator, real: Tensor, fake: Tensor, y: Tensor | None
    ) -> Tensor:
        raise NotImplementedError

    def penalty(
        self,
        discriminator: Discriminator,
        real: Tensor,
        fake: Tensor,
        y: Tensor | None = None,
    ) -> Tensor | None:
        """``penalty_weight * unweighted_penalty(...)``, or None when the weight is 0."""
        if self.penalty_weight == 0:
            return None
        return self.penalty_weight * self.unweighted_penalty(discriminator, real, fake, y)
