"""PacGAN for ganzoo (Lin et al. 2018): the discriminator scores packs of m samples.

Importing this package imports neither torch nor the model code: ``ganzoo_pacgan.plugin``
registers the spec, ``ganzoo_pacgan.model`` holds the networks.
"""

__version__ = "0.1.0"
