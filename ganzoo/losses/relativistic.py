"""Relativistic average GAN (Jolicoeur-Martineau 2018, RaSGAN: the BCE / non-saturating form).

With ``C`` the critic's raw score and averages taken over the batch:

* D minimises ``-E[log sigmoid(C(x) - E C(G(z)))] - E[log(1 - sigmoid(C(G(z)) - E C(x)))]``
* G minimises ``-E[log sigmoid(C(G(z)) - E C(x))] - E[log(1 - sigmoid(C(x) - E C(G(z))))]``

so G's loss needs the real batch's scores. Computed with softplus from logits.
"""

from __future__ import annotations

from torch import Tensor

from ganzoo.interfaces import GANLoss
from ganzoo.losses._common import bce_fake, bce_real, require_real


class RelativisticAverageLoss(GANLoss):
    """RaSGAN: each side's logit is taken relative to the other side's mean score."""

    name = "relativistic-average"
    generator_needs_real = True

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """``softplus(-(real - mean fake)).mean() + softplus(fake - mean real).mean()``."""
        real_rel = real_scores - fake_scores.mean()
        fake_rel = fake_scores - real_scores.mean()
        return bce_real(real_rel) + bce_fake(fake_rel)

    def generator_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """``softplus(-(fake - mean real)).mean() + softplus(real - mean fake).mean()``.

        ``real_scores`` is required (a ValueError says so when it is missing).
        """
        real_scores = require_real(real_scores, self.name)
        real_rel = real_scores - fake_scores.mean()
        fake_rel = fake_scores - real_scores.mean()
        return bce_real(fake_rel) + bce_fake(real_rel)


def build_relativistic_average(config: None = None) -> RelativisticAverageLoss:
    """Builder of the ``relativistic-average`` entry (it has no options)."""
    return RelativisticAverageLoss()
