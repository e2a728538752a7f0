"""Config models of the built-in data sets (pydantic, ``extra="forbid"``; torch-free).

Their field defaults are the data sets' defaults, the only place those are written: the data set
specs name a model here by import string and ``ganzoo info`` reads the defaults from it without
importing torch.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MNISTConfig(BaseModel):
    """Where MNIST lives and which part of it to use."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    root: str | None = Field(None, description="Folder holding MNIST/raw; default $GANZOO_DATA.")
    train: bool = True
    download: bool = Field(False, description="Fetch MNIST from the web if it is not under root.")
    limit: int | None = Field(None, ge=1, description="Use only the first N images.")
    resolution: int | None = Field(
        None,
        ge=4,
        le=1024,
        description="Image side in pixels. None: 28 (as published); 32: 2 px of background "
        "padded on each side; other sides: resized (Pillow bicubic, antialiased).",
    )


class StackedMNISTConfig(MNISTConfig):
    """Stacked MNIST: ``size`` images of three digits drawn with ``seed``."""

    size: int = Field(60_000, ge=1)
    seed: int = 0


class RingConfig(BaseModel):
    """Ring of ``modes`` Gaussians of std ``sigma`` on a circle of ``radius``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    size: int = Field(100_000, ge=1)
    modes: int = Field(8, ge=1)
    radius: float = Field(1.0, gt=0)
    sigma: float = Field(0.01, gt=0)
    seed: int = 0
    limit: int | None = Field(None, ge=1)


class GridConfig(BaseModel):
    """``side`` x ``side`` Gaussians of std ``sigma``, ``spacing`` apart, centred on 0."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    size: int = Field(100_000, ge=1)
    side: int = Field(5, ge=1)
    spacing: float = Field(2.0, gt=0)
    sigma: float = Field(0.05, gt=0)
    seed: int = 0
    limit: int | None = Field(None, ge=1)


class ArrayFileConfig(BaseModel):
    """Images or points stored in one ``.npy``, ``.npz`` or ``.safetensors`` file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str = Field(
        description="The file: .npy (one array), .npz or .safetensors (named arrays)."
    )
    key: str | None = Field(
        None,
        description="The samples' array in an .npz/.safetensors file; None: 'x', 'images', "
        "'data' or 'points', else the only array that is not the labels.",
    )
    labels_key: str | None = Field(
        None, description="The labels' array; None: 'y' or 'labels' when present."
    )
    value_range: tuple[float, float] | None = Field(
        None, description="Range of float images, e.g. [0, 1]; None: [-1, 1] (uint8: 0..255)."
    )
    unlabelled: bool = Field(False, description="Ignore the labels even when the file has them.")
    limit: int | None = Field(None, ge=1, description="Use only the first N samples.")
