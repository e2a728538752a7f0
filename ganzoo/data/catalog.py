"""Specs of the built-in data sets. Imported by the built-in plugin; must not import torch."""

from __future__ import annotations

from ganzoo.specs import DatasetSpec

ENTRIES: list[DatasetSpec] = [
    DatasetSpec(
        name="mnist",
        summary="MNIST handwritten digits, 28x28 grey, 10 classes (60,000 train / 10,000 test).",
        description="Read with torchvision from `--data-root`/`GANZOO_DATA` (download=True fetches it "
        "when online). Kept in memory as one uint8 tensor, scaled to [-1, 1] per batch. Option "
        "`resolution`: 32 pads 2 px of background on each side, other sides are resized (Pillow "
        "bicubic); the built data's spec has that shape.",
        paper="LeCun et al. 1998, Gradient-based learning applied to document recognition",
        builder="ganzoo.data.mnist:build_mnist",
        config="ganzoo.data.configs:MNISTConfig",
        shape=(1, 28, 28),
        num_classes=10,
        num_modes=10,
        tags=("image", "labelled"),
    ),
    DatasetSpec(
        name="stacked-mnist",
        summary="Three MNIST digits as the RGB channels of one 28x28 image: 1000 modes.",
        description="Built from MNIST with a seed, as in VEEGAN and PacGAN; the label is "
        "100*red + 10*green + blue. Option `resolution` as for mnist (the same digits).",
        paper="Srivastava et al. 2017 (VEEGAN); Lin et al. 2018 (PacGAN)",
        builder="ganzoo.data.mnist:build_stacked_mnist",
        config="ganzoo.data.configs:StackedMNISTConfig",
        shape=(3, 28, 28),
        num_classes=1000,
        num_modes=1000,
        tags=("image", "labelled", "mode-collapse"),
    ),
    DatasetSpec(
        name="ring-8",
        summary="2-D mixture of 8 Gaussians on a circle of radius 1, sigma 0.01 (PacGAN protocol).",
        paper="Lin et al. 2018, PacGAN",
        builder="ganzoo.data.mixtures:build_ring",
        config="ganzoo.data.configs:RingConfig",
        modality="points",
        shape=(2,),
        num_modes=8,
        tags=("toy", "mode-collapse"),
    ),
    DatasetSpec(
        name="grid-25",
        summary="2-D mixture of 25 Gaussians on a 5x5 grid (spacing 2), sigma 0.05 (PacGAN protocol).",
        paper="Lin et al. 2018, PacGAN",
        builder="ganzoo.data.mixtures:build_grid",
        config="ganzoo.data.configs:GridConfig",
        modality="points",
        shape=(2,),
        num_modes=25,
        tags=("toy", "mode-collapse"),
    ),
    DatasetSpec(
        name="array-file",
        summary="Your own images or points in one .npy, .npz or .safetensors file.",
        description="Images (N, C, H, W), (N, H, W, C) or (N, H, W), uint8 or float in a stated "
        "value_range (default [-1, 1]), or points (N, D); labels from an array named 'y' or "
        "'labels'. A .npy file is memory-mapped. `ganzoo train ARCH --data FILE` picks this data "
        "set for an existing file with one of those suffixes.",
        builder="ganzoo.data.arrays:build_array_file",
        config="ganzoo.data.configs:ArrayFileConfig",
        shape=None,
        tags=("own-data",),
    ),
    DatasetSpec(
        name="image-folder",
        summary="Your own images: a folder of files Pillow reads, class subfolders as labels.",
        description="Scanned recursively in sorted order; grey or RGB detected (or channels=1|3); "
        "center-cropped and resized to resolution with a recorded filter (lanczos). Decoded once "
        "into a memory-mapped uint8 cache ($GANZOO_CACHE, else ~/.cache/ganzoo/data-cache) keyed "
        "by the files and the transform; unreadable files are skipped and named. `ganzoo train "
        "ARCH --data FOLDER` picks this data set for an existing folder.",
        builder="ganzoo.data.folder:build_image_folder",
        config="ganzoo.data.configs:ImageFolderConfig",
        shape=None,
        tags=("own-data",),
    ),
]
