"""Config models of the built-in data sets (pydantic, ``extra="forbid"``; torch-free).

Their field defaults are the data sets' defaults, the only place those are written: the data set
specs name a model here by import string and ``ganzoo info`` reads the defaults from it without
importing torch.
"""

from __future__ import annotations

from typing import Literal

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


class ImageFolderConfig(BaseModel):
    """A folder of images (any format Pillow reads), class subfolders as labels.

    ``filter`` defaults to ``lanczos``: Pillow's resize widens the filter by the shrink factor, so
    it antialiases when shrinking (as torchvision's ``antialias=True`` does), and Lanczos keeps
    the most detail of Pillow's filters; it is what StyleGAN2-ADA's ``dataset_tool.py`` resizes
    training images with.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str = Field(description="The folder (searched recursively; hidden files are skipped).")
    resolution: int | None = Field(
        None,
        ge=4,
        le=4096,
        description="Side in pixels: the shorter side is center-cropped to a square and resized "
        "to it. None: the images' own size when all are one square size, else an error.",
    )
    channels: Literal[1, 3] | None = Field(
        None, description="1 (grey) or 3 (RGB); None: 1 when every image is grey, else 3."
    )
    unlabelled: bool = Field(False, description="Ignore class subfolders (no labels).")
    filter: Literal["nearest", "box", "bilinear", "hamming", "bicubic", "lanczos"] = Field(
        "lanczos", description="Pillow resampling filter used when resizing."
    )
    cache_dir: str | None = Field(
        None,
        description="Where the decoded images are cached; default $GANZOO_CACHE, else "
        "~/.cache/ganzoo/data-cache.",
    )
    limit: int | None = Field(None, ge=1, description="Use only the first N files (sorted paths).")
    progress: bool = Field(True, description="Show a progress bar while decoding (on a terminal).")
