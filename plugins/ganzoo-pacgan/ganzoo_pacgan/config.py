"""The options of ``pacgan`` (torch-free: ``ganzoo info pacgan`` can show them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PacGANConfig(BaseModel):
    """PacGAN options; ``None`` values are chosen by the data's modality."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pack: int = Field(2, ge=1, description="m: samples per pack the discriminator scores.")
    latent_dim: int | None = Field(
        None, ge=1, description="Noise dimension; None: 100 for images, 2 for points."
    )
    width: int = Field(64, ge=1, description="Images: channels of D's first conv layer.")
    g_hidden: tuple[int, ...] = Field(
        (400, 400, 400, 400), description="Points: G's hidden widths (ReLU, BatchNorm)."
    )
    d_hidden: tuple[int, ...] = Field(
        (200, 200, 200), description="Points: D's hidden widths (maxout units)."
    )
    maxout: int = Field(5, ge=2, description="Points: maxout pieces in D's hidden layers.")
