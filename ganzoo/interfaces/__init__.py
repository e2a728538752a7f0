"""The contract every architecture, loss, diagnostic, metric and feature extractor implements.

These base classes import torch; nothing on the listing path (``ganzoo list``/``info``/
``plugins``) imports this module.
"""

from ganzoo.interfaces.diagnostics import Diagnostic
from ganzoo.interfaces.losses import GANLoss
from ganzoo.interfaces.metrics import FeatureExtractor, Metric, SampleSet
from ganzoo.interfaces.networks import Discriminator, DiscriminatorOutput, Generator

__all__ = [
    "Diagnostic",
    "Discriminator",
    "DiscriminatorOutput",
    "FeatureExtractor",
    "GANLoss",
    "Generator",
    "Metric",
    "SampleSet",
]
