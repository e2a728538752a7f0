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
    DatasetSpec(
        name="cifar10",
        summary="CIFAR-10: 32x32 RGB, 10 classes (50,000 train / 10,000 test).",
        description="The python version under ROOT/cifar-10-batches-py; download=True fetches it "
        "with torchvision. Options resize it (Pillow bicubic, antialiased) or make it grey.",
        paper="Krizhevsky 2009, Learning multiple layers of features from tiny images",
        builder="ganzoo.data.standard:build_cifar10",
        config="ganzoo.data.configs:CIFAR10Config",
        shape=(3, 32, 32),
        num_classes=10,
        tags=("image", "labelled", "standard"),
    ),
    DatasetSpec(
        name="cifar100",
        summary="CIFAR-100: 32x32 RGB, 100 fine (or 20 coarse) classes (50,000 / 10,000).",
        description="The python version under ROOT/cifar-100-python; download=True fetches it "
        "with torchvision; labels='coarse' gives the 20 superclasses.",
        paper="Krizhevsky 2009, Learning multiple layers of features from tiny images",
        builder="ganzoo.data.standard:build_cifar100",
        config="ganzoo.data.configs:CIFAR100Config",
        shape=(3, 32, 32),
        num_classes=100,
        tags=("image", "labelled", "standard"),
    ),
    DatasetSpec(
        name="fashion-mnist",
        summary="Fashion-MNIST: 28x28 grey clothing, 10 classes (60,000 train / 10,000 test).",
        description="The idx files under ROOT/FashionMNIST/raw, read by torchvision; "
        "download=True fetches them.",
        paper="Xiao et al. 2017, Fashion-MNIST",
        builder="ganzoo.data.standard:build_fashion_mnist",
        config="ganzoo.data.configs:FashionMNISTConfig",
        shape=(1, 28, 28),
        num_classes=10,
        num_modes=10,
        tags=("image", "labelled", "standard"),
    ),
    DatasetSpec(
        name="svhn",
        summary="SVHN cropped digits: 32x32 RGB, 10 classes (73,257 train / 26,032 test).",
        description="ROOT/svhn/{split}_32x32.mat (needs scipy: the datasets extra); split='extra' "
        "adds 531,131 easier images; download=True fetches the split with torchvision.",
        paper="Netzer et al. 2011, Reading digits in natural images with unsupervised learning",
        builder="ganzoo.data.standard:build_svhn",
        config="ganzoo.data.configs:SVHNConfig",
        shape=(3, 32, 32),
        num_classes=10,
        tags=("image", "labelled", "standard"),
    ),
    DatasetSpec(
        name="celeba",
        summary="CelebA faces at 64x64: 108x108 centre crop of the aligned images (202,599).",
        description="ROOT/celeba/img_align_celeba (+ list_eval_partition.txt for the train/valid/"
        "test splits). Cropped and resized as DCGAN did (Pillow bicubic, antialiased), decoded "
        "once into the memory-mapped data cache. No labels.",
        paper="Liu et al. 2015, Deep learning face attributes in the wild",
        builder="ganzoo.data.standard:build_celeba",
        config="ganzoo.data.configs:CelebAConfig",
        shape=(3, 64, 64),
        tags=("image", "standard", "cached"),
    ),
    DatasetSpec(
        name="lsun",
        summary="One LSUN scene category (default bedroom) at 64x64, centre square crop.",
        description="ROOT/lsun/{category}_{split}_lmdb from the LSUN release (needs lmdb: the "
        "datasets extra; torchvision cannot download it). Decoded once into the memory-mapped "
        "data cache; limit=N keeps the first N images (bedroom has 3,033,042). No labels.",
        paper="Yu et al. 2015, LSUN",
        builder="ganzoo.data.standard:build_lsun",
        config="ganzoo.data.configs:LSUNConfig",
        shape=(3, 64, 64),
        tags=("image", "standard", "cached"),
    ),
    DatasetSpec(
        name="stl10",
        summary="STL-10 at 48x48: the 100,000 unlabeled 96x96 images, resized (SNGAN's setting).",
        description="ROOT/stl10_binary; split='train' or 'test' gives the 10-class labelled "
        "parts, 'train+unlabeled' both (no labels). Resized with Pillow bicubic (antialiased); "
        "download=True fetches the 2.6 GB archive with torchvision.",
        paper="Coates et al. 2011, An analysis of single-layer networks in unsupervised feature "
        "learning",
        builder="ganzoo.data.standard:build_stl10",
        config="ganzoo.data.configs:STL10Config",
        shape=(3, 48, 48),
        tags=("image", "standard"),
    ),
]
