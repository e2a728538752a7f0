"""Config models of the built-in architectures (pydantic, ``extra="forbid"``; torch-free).

Their field defaults are the architectures' defaults, the only place those are written: specs
name a model here by import string and ``ganzoo info`` reads the defaults from it.
``ganzoo.build("dcgan", width=32)`` validates the overrides against one of these; a wrong name
or type raises ``ConfigError`` naming the field. The builders in the sibling modules receive the
validated instance.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_WIDTH = 16384
"""The largest layer size (units or channels) of any built-in architecture option."""
LayerSize = Annotated[int, Field(ge=1, le=MAX_WIDTH)]
"""One layer's size: at least 1, at most `MAX_WIDTH` (a config cannot ask for terabytes)."""

Norm = Literal["batch", "layer", "none"]
"""Normalisation of the discriminator's hidden conv layers ("layer" is GroupNorm(1, C))."""


class ArchConfig(BaseModel):
    """Fields every built-in architecture has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latent_dim: int = Field(
        100, ge=1, le=MAX_WIDTH, description="Dimension of the noise z ~ N(0, I)."
    )


class MLPConfig(ArchConfig):
    """Multilayer perceptrons (vanilla GAN). ``None`` hidden sizes are chosen by modality."""

    g_hidden: tuple[LayerSize, ...] | None = Field(
        None,
        max_length=32,
        description="G's hidden widths; None: (1200, 1200) for images, (128,)*3 for points.",
    )
    d_hidden: tuple[LayerSize, ...] | None = Field(
        None,
        max_length=32,
        description="D's hidden widths; None: (240, 240) for images, (128, 128) for points.",
    )
    maxout: int | None = Field(
        5, ge=2, description="Maxout pieces in D's hidden layers (None: LeakyReLU 0.2)."
    )
    dropout: float | None = Field(
        None,
        ge=0.0,
        lt=1.0,
        description="Dropout on D's hidden layers; None: 0.5 for images (the paper's MNIST D), "
        "0 for points (as PacGAN's D).",
    )
    g_batchnorm: bool | None = Field(
        None,
        description="BatchNorm after G's hidden layers; None: on for points (as PacGAN's G; "
        "without it G collapses onto one mode of ring-8), off for images (the paper's G).",
    )


class CGANConfig(ArchConfig):
    """Mirza & Osindero's MLPs: separate z and y branches joined in one hidden layer."""

    g_hidden: tuple[LayerSize, LayerSize, LayerSize] = Field(
        (200, 1000, 1200), description="G: z branch, y branch, joint layer widths."
    )
    d_hidden: tuple[LayerSize, LayerSize, LayerSize] = Field(
        (240, 50, 240), description="D: x branch, y branch, joint layer widths (maxout units)."
    )
    maxout: int = Field(5, ge=2, description="Maxout pieces in D's branch layers (joint: 4).")
    dropout: float = Field(0.5, ge=0.0, lt=1.0, description="Dropout on D's hidden layers.")


class ConvConfig(ArchConfig):
    """DCGAN-style convolutional G and D; sizes follow the data set's image shape."""

    width: int = Field(
        64,
        ge=1,
        le=1024,
        description="Channels of D's first and G's last hidden conv layer (x2 per step).",
    )
    d_norm: Norm = Field("batch", description="Normalisation in D's hidden conv layers.")


class WGANConfig(ConvConfig):
    """DCGAN-style critic (BatchNorm kept, as in the WGAN paper) with weight clipping."""

    clip: float = Field(0.01, gt=0, description="Critic weights are clipped to [-clip, clip].")


class WGANGPConfig(ConvConfig):
    """Critic without BatchNorm (the penalty is per sample): LayerNorm by default."""

    d_norm: Literal["layer", "none"] = Field(
        "layer", description="Normalisation in the critic (never BatchNorm): 'layer' or 'none'."
    )


class SNGANConfig(ConvConfig):
    """Spectral normalisation on every layer of D; no other normalisation in D."""

    latent_dim: int = Field(128, ge=1, description="Dimension of the noise z (128 in the paper).")
    d_norm: Norm = Field("none", description="Normalisation in D besides spectral norm.")


class ACGANConfig(ConvConfig):
    """Conditional G (z with the class), D with an auxiliary classifier head."""

    embed_dim: int | None = Field(
        None, ge=1, description="Class embedding size fed to G; None: one-hot (the paper)."
    )


class InfoGANConfig(ConvConfig):
    """Structured latent: noise + categorical code + continuous codes; Q head on D."""

    latent_dim: int = Field(62, ge=1, description="Incompressible noise dimensions.")
    categorical: int = Field(10, ge=2, description="Categories of the one categorical code.")
    continuous: int = Field(2, ge=0, description="Continuous codes, each U[-1, 1].")
    lambda_cat: float = Field(1.0, ge=0, description="Weight of the categorical code loss.")
    lambda_cont: float = Field(0.1, ge=0, description="Weight of the continuous code loss.")
