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


class StandardImageConfig(BaseModel):
    """Options every standard image data set takes (CIFAR, SVHN, CelebA, LSUN, STL-10, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    root: str | None = Field(
        None, description="Data root holding the data set's folder; default $GANZOO_DATA."
    )
    download: bool = Field(False, description="Fetch the files with torchvision if missing.")
    limit: int | None = Field(None, ge=1, description="Use only the first N images.")
    resolution: int = Field(
        32, ge=4, le=1024, description="Side in pixels (resized if not native)."
    )
    channels: Literal[1, 3] | None = Field(None, description="1 or 3 to convert; None: as stored.")
    unlabelled: bool = Field(False, description="Drop the labels (unconditional training).")


class CIFAR10Config(StandardImageConfig):
    """CIFAR-10: 50,000 train / 10,000 test images at 32x32."""

    split: Literal["train", "test"] = "train"


class CIFAR100Config(CIFAR10Config):
    """CIFAR-100: like CIFAR-10, with 100 fine or 20 coarse labels."""

    labels: Literal["fine", "coarse"] = Field("fine", description="100 fine or 20 coarse classes.")


class FashionMNISTConfig(StandardImageConfig):
    """Fashion-MNIST: 60,000 train / 10,000 test grey images at 28x28."""

    split: Literal["train", "test"] = "train"
    resolution: int = Field(28, ge=4, le=1024, description="Side in pixels (resized if not 28).")


class SVHNConfig(StandardImageConfig):
    """SVHN (cropped digits): 73,257 train / 26,032 test / 531,131 extra images at 32x32."""

    split: Literal["train", "test", "extra"] = "train"


class CelebAConfig(StandardImageConfig):
    """CelebA aligned faces (178x218), centre-cropped to ``crop`` pixels and resized."""

    split: Literal["all", "train", "valid", "test"] = Field(
        "all", description="all: the 202,599 images, as DCGAN and TTUR train on."
    )
    resolution: int = Field(64, ge=4, le=1024, description="Side in pixels after the crop.")
    crop: int = Field(108, ge=8, le=178, description="Centre crop side before resizing (DCGAN's).")
    cache_dir: str | None = Field(None, description="Decoded-image cache; default $GANZOO_CACHE.")


class LSUNConfig(StandardImageConfig):
    """One LSUN scene category, centre-cropped to a square and resized."""

    category: Literal[
        "bedroom",
        "bridge",
        "church_outdoor",
        "classroom",
        "conference_room",
        "dining_room",
        "kitchen",
        "living_room",
        "restaurant",
        "tower",
    ] = "bedroom"
    split: Literal["train", "val"] = "train"
    resolution: int = Field(64, ge=4, le=1024, description="Side in pixels after the crop.")
    cache_dir: str | None = Field(None, description="Decoded-image cache; default $GANZOO_CACHE.")


class STL10Config(StandardImageConfig):
    """STL-10 (96x96 originals): unlabeled 100,000, train 5,000, test 8,000."""

    split: Literal["unlabeled", "train", "test", "train+unlabeled"] = Field(
        "unlabeled", description="unlabeled: the 100,000 images SNGAN trains on at 48x48."
    )
    resolution: int = Field(48, ge=4, le=1024, description="Side in pixels (resized if not 96).")


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
