"""``acgan``: Odena et al. 2017, GAN with an auxiliary classifier.

G is DCGAN's, fed ``z`` concatenated with the class (one-hot by default). D is DCGAN's with a
second head on its features: class logits, exposed as ``aux["class_logits"]`` ``(N, K)``.
``ACGANDiscriminator.auxiliary_loss`` is their cross-entropy against the labels, for real
and generated batches alike; the training loop adds it to D's and G's losses.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn.functional import cross_entropy

from ganzoo.interfaces import Discriminator, DiscriminatorOutput, Generator
from ganzoo.models.blocks import (
    ConvDiscriminator,
    ConvGenerator,
    conv_plan,
    dcgan_init_,
    require_labels,
)
from ganzoo.models.configs import ACGANConfig
from ganzoo.specs import DatasetSpec


class ACGANDiscriminator(ConvDiscriminator):
    """DCGAN discriminator with an auxiliary classifier head (it does not take ``y``)."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, width: int, norm: str):
        super().__init__(input_shape, width, norm=norm)
        self.num_classes = num_classes
        self.classifier = dcgan_init_(nn.Linear(self.trunk.out_features, num_classes))

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        """Scores and features of the DCGAN trunk, plus ``aux["class_logits"]``."""
        out = super().forward_all(x)
        assert out.features is not None
        out.aux["class_logits"] = self.classifier(out.features)
        return out

    def auxiliary_loss(
        self, out: DiscriminatorOutput, y: Tensor | None, z: Tensor | None, real: bool
    ) -> Tensor | None:
        """Cross-entropy of ``out.aux["class_logits"]`` against ``y`` (real and fake)."""
        labels = require_labels(y, "acgan's auxiliary classifier")
        return cross_entropy(out.aux["class_logits"], labels)


def build(config: ACGANConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build the class-conditional G and the classifying D for ``data``."""
    conv_plan(data.shape, "architecture 'acgan'")
    assert data.num_classes is not None  # build_architecture rejects unlabelled data
    g = ConvGenerator(
        config.latent_dim,
        data.shape,
        config.width,
        num_classes=data.num_classes,
        embed_dim=config.embed_dim,
    )
    d = ACGANDiscriminator(data.shape, data.num_classes, config.width, config.d_norm)
    return g, d
