"""Hinge loss (Lim & Ye 2017; used by SNGAN, SAGAN and BigGAN).

D minimises ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``; G minimises ``-E[D(G(z))]``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ganzoo.interfaces import GANLoss


class HingeLoss(GANLoss):
    """The hinge version of the adversarial loss, on D's raw scores."""

    name = "hinge"

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """``relu(1 - real).mean() + relu(1 + fake).mean()``."""
        return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()

    def generator_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """``-fake.mean()``; ``real_scores`` is unused."""
        return -fake_scores.mean()


def build_hinge(config: None = None) -> HingeLoss:
    """Builder of the ``hinge`` entry (it has no options)."""
    return HingeLoss()
