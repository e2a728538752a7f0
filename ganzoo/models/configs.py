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


class SNGANResNetConfig(ArchConfig):
    """SNGAN's ResNet G and D; ``conditioning="projection"`` makes them class-conditional."""

    latent_dim: int = Field(128, ge=1, description="Dimension of the noise z (128 in the paper).")
    width: int = Field(
        128,
        ge=1,
        description="Base channels ch: up to 32 px D has ch and G 2*ch in every block (the "
        "paper's CIFAR nets at 128); from 48 px D doubles ch per block and G halves down to ch "
        "(the STL/ImageNet nets use 64).",
    )
    conditioning: Literal["none", "projection"] = Field(
        "none",
        description="'projection': projection D (Miyato & Koyama 2018) and class-conditional "
        "BatchNorm in G; needs labelled data.",
    )


class BigGANConfig(ArchConfig):
    """BigGAN at small scale: hierarchical z, shared embedding, projection D."""

    latent_dim: int = Field(
        120,
        ge=2,
        description="Dimension of z, split into one chunk per G block plus one (120 = 6 x 20 at "
        "128 px, as in the paper).",
    )
    width: int = Field(
        64,
        ge=1,
        description="The channel multiplier ch (the paper's 128 px nets use 96; "
        "BigGAN-PyTorch's CIFAR nets 64).",
    )
    shared_dim: int = Field(128, ge=1, description="Size of the shared class embedding.")
    attention: int | None = Field(
        None,
        ge=4,
        description="Side (px) at which G and D get a self-attention block (the paper: 64); "
        "None: none (cheaper on a CPU).",
    )
    ortho_reg: float = Field(
        1e-4, ge=0, description="Weight beta of the orthogonal regularisation of G (0: off)."
    )


class StyleGAN2Config(ArchConfig):
    """StyleGAN2: mapping network, modulated convs, skip G, residual D, lazy regularisers."""

    latent_dim: int = Field(512, ge=1, description="Dimension of z and of w.")
    mapping_layers: int = Field(8, ge=1, description="Fully connected layers of the mapping.")
    mapping_lr: float = Field(
        0.01, gt=0, description="Learning-rate multiplier of the mapping network."
    )
    width: int = Field(
        64, ge=1, description="Channels at the output resolution, doubled per halving."
    )
    max_channels: int = Field(512, ge=1, description="The cap on the channels of any layer.")
    style_mixing: float = Field(
        0.9, ge=0, le=1, description="Probability of mixing two latents' styles in training."
    )
    r1_gamma: float = Field(10.0, ge=0, description="R1 weight gamma (lazy; 0: off).")
    r1_interval: int = Field(16, ge=1, description="R1 is taken every this many D steps.")
    pl_weight: float = Field(2.0, ge=0, description="Path-length regularisation weight (0: off).")
    pl_interval: int = Field(4, ge=1, description="Path length is taken every this many G steps.")
    pl_decay: float = Field(0.01, gt=0, le=1, description="Decay of the running mean path length.")
    w_avg_beta: float = Field(
        0.995, ge=0, lt=1, description="Decay of w_avg, the running mean of w (truncation)."
    )
