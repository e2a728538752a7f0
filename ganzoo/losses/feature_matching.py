"""Feature matching (Salimans et al. 2016, Improved Techniques for Training GANs).

D is trained with the standard (non-saturating / BCE) loss on its scores. G minimises
``||E f(x) - E f(G(z))||_2^2``, where ``f`` is D's penultimate layer
(``ganzoo.interfaces.DiscriminatorOutput.features``) and the means are over the batch.
``uses_features = True``: the training loop passes ``DiscriminatorOutput``
objects, not score tensors, to ``FeatureMatchingLoss.generator_loss``.
"""

from __future__ import annotations

from torch import Tensor

from ganzoo.interfaces import DiscriminatorOutput, GANLoss
from ganzoo.losses._common import nonsaturating_d_loss


def _features(out: object, which: str) -> Tensor:
    if not isinstance(out, DiscriminatorOutput):
        raise TypeError(
            f"feature matching needs DiscriminatorOutput objects (uses_features=True), got "
            f"{type(out).__name__} for the {which} batch: pass discriminator.forward_all(x, y)"
        )
    if out.features is None:
        raise ValueError(
            f"feature matching needs D's penultimate features, but the {which} batch's "
            "DiscriminatorOutput has features=None; the discriminator's forward_all must set them"
        )
    return out.features


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """``||mean_i f(x_i) - mean_j f(G(z_j))||_2^2`` over all feature dimensions.

    The real features are detached (no gradient flows into D through them).
    """
    real_mean = real_features.detach().flatten(1).mean(0)
    fake_mean = fake_features.flatten(1).mean(0)
    return (real_mean - fake_mean).pow(2).sum()


class FeatureMatchingLoss(GANLoss):
    """D: BCE (non-saturating) on scores; G: match the batch means of D's features."""

    name = "feature-matching"
    uses_features = True

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """``softplus(-real).mean() + softplus(fake).mean()`` on score tensors."""
        return nonsaturating_d_loss(real_scores, fake_scores)

    def generator_loss(  # type: ignore[override]
        self,
        fake_scores: DiscriminatorOutput,
        real_scores: DiscriminatorOutput | None = None,
    ) -> Tensor:
        """Feature-matching loss from D's outputs on the fake and the real batch (both required)."""
        if real_scores is None:
            raise ValueError(
                "the 'feature-matching' generator loss needs D's output on a real batch: "
                "call generator_loss(fake_out, real_out)"
            )
        return feature_matching_loss(_features(real_scores, "real"), _features(fake_scores, "fake"))


def build_feature_matching(config: None = None) -> FeatureMatchingLoss:
    """Builder of the ``feature-matching`` entry (it has no options)."""
    return FeatureMatchingLoss()
