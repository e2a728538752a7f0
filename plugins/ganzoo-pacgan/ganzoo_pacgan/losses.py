"""The total-variation GAN objective (f-GAN, Nowozin et al. 2016).

Total variation is the distance PacGAN's analysis
is stated in (Lin et al. 2018 bound the total variation between packed distributions).

D outputs an unbounded value V(x); ``tanh(V) / 2`` is the witness function of the variational
bound ``TV(P, Q) >= E_P[tanh(V(x)) / 2] - E_Q[tanh(V(G(z))) / 2]``, so V is a critic value, not
the log-odds of "real" (its spec declares ``scores="critic"``). G maximises
``E_Q[tanh(V(G(z))) / 2]``: its gradient carries ``sech^2(V(G(z)))``, which vanishes as D rejects
the fakes confidently, so the objective saturates (``saturating=True``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganzoo.interfaces import GANLoss


class TotalVariationLoss(GANLoss):
    """D maximises the total-variation lower bound; G raises its witness on the fakes."""

    name = "total-variation"

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """``(mean tanh(fake) - mean tanh(real)) / 2``: minus the bound on TV, in [-1, 1]."""
        return 0.5 * (torch.tanh(fake_scores).mean() - torch.tanh(real_scores).mean())

    def generator_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """``-mean tanh(fake) / 2``; ``real_scores`` is unused."""
        return -0.5 * torch.tanh(fake_scores).mean()


def build(config: None = None) -> TotalVariationLoss:
    """Builder of the ``total-variation`` entry (it has no options)."""
    return TotalVariationLoss()
