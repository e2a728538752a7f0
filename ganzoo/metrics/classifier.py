"""The MNIST classifier behind the label-based metrics (modes, KL, MNIST score, classifier-FID).

A compact CNN, trained by ``tools/train_classifier.py`` (in the repository) and shipped in
``ganzoo/metrics/weights/mnist_classifier.safetensors``. Its sha256 is pinned as
``MNIST_CLASSIFIER_SHA256`` in ``ganzoo/metrics/catalog.py`` (``CLASSIFIER_SHA256`` here) and
checked on every load, so every number computed with it names the exact feature extractor it
came from.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch
from torch import Tensor, nn

from ganzoo.errors import DataError, WeightsError
from ganzoo.interfaces import FeatureExtractor
from ganzoo.metrics.catalog import MNIST_CLASSIFIER_SHA256
from ganzoo.specs import DatasetSpec
from ganzoo.weights import load_module_file, sha256_file

WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "mnist_classifier.safetensors"
CLASSIFIER_SHA256 = MNIST_CLASSIFIER_SHA256
"""The pinned sha256 (the ``mnist-classifier`` extractor entry pins the same constant)."""
FEATURE_DIM = 128
PADDED_SIDE = 32
"""MNIST at ``resolution`` 32 is the 28x28 digits with 2 px of background on each side (see the
``mnist`` data set); the classifier sees the central 28x28 of such images."""
PADDED_DATA = ("mnist", "stacked-mnist")
"""The data sets whose 32-px form is that padding (others at 32 px, e.g. CIFAR-10, are not)."""


def reads(spec: DatasetSpec) -> bool:
    """Whether the classifier reads this data's samples.

    Yes for 28x28 MNIST-like images with 1 or 3 channels, and for MNIST / Stacked MNIST padded to
    32 px.
    """
    shape = tuple(spec.shape or ())
    if spec.modality != "image" or len(shape) != 3 or shape[0] not in (1, 3):
        return False
    return shape[1:] == (28, 28) or (
        shape[1:] == (PADDED_SIDE, PADDED_SIDE) and spec.name in PADDED_DATA
    )


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class MNISTClassifier(nn.Module):
    """conv32 - pool - conv64 - conv64 - pool - conv128 - pool - FC128 (BN, dropout) - FC10.

    Input: ``(N, 1, 28, 28)`` floats in [-1, 1] (the range of ganzoo samples and data batches).
    """

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(1, 32),
            nn.MaxPool2d(2),  # 14
            _conv(32, 64),
            _conv(64, 64),
            nn.MaxPool2d(2),  # 7
            _conv(64, 128),
            nn.MaxPool2d(2),  # 3
            nn.Flatten(),
            nn.Linear(128 * 3 * 3, FEATURE_DIM, bias=False),
            nn.BatchNorm1d(FEATURE_DIM),
            nn.ReLU(inplace=True),
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, 10)

    def features(self, x: Tensor) -> Tensor:
        """The penultimate 128-d embedding (after BN and ReLU), ``(N, 128)``."""
        return self.body(x)

    def logits(self, x: Tensor) -> Tensor:
        """Class logits ``(N, 10)``."""
        return self.head(self.dropout(self.features(x)))

    def forward(self, x: Tensor) -> Tensor:
        """Class logits ``(N, 10)``, as `logits`."""
        return self.logits(x)


def check_images(x: Tensor, channels: tuple[int, ...] = (1,), padded: bool = True) -> Tensor:
    """``x`` as the classifier reads it: ``(N, C, 28, 28)`` with C in ``channels``.

    Images of side 32 (MNIST padded to 32 px, ``--resolution 32``) are cropped to their central
    28x28, the exact inverse of the padding; their 2-px border is not judged (``padded``
    False: they are refused like any other shape). Anything else raises ``DataError``.
    """
    side = PADDED_SIDE
    if padded and x.dim() == 4 and x.shape[-2:] == (side, side):
        off = (side - 28) // 2
        x = x[..., off : off + 28, off : off + 28]
    if x.dim() != 4 or x.shape[-2:] != (28, 28) or x.shape[1] not in channels:
        want = " or ".join(f"(N, {c}, 28, 28)" for c in channels)
        raise DataError(
            f"the MNIST classifier needs images shaped {want} (or 32x32: MNIST padded to 32 px) "
            f"in [-1, 1]; got {tuple(x.shape)}. Classifier metrics (fid, score, modes, kl) fit "
            "only MNIST-like samples; use prd/dc/ndb for other data, or mixture metrics for "
            "2-D points"
        )
    return x


@lru_cache(maxsize=4)
def _load(device: str, path: str, expected: str) -> MNISTClassifier:
    file = Path(path)
    if not file.is_file():
        raise WeightsError(f"classifier weights {file} do not exist; reinstall ganzoo")
    actual = sha256_file(file)
    if actual != expected:
        raise WeightsError(
            f"classifier weights {file} have sha256 {actual}, expected {expected}; "
            "the file is corrupt or was replaced: reinstall ganzoo or retrain with "
            "`python tools/train_classifier.py` (repository checkout) and update "
            "MNIST_CLASSIFIER_SHA256 in ganzoo/metrics/catalog.py"
        )
    model = MNISTClassifier()
    load_module_file(model, file)
    model.requires_grad_(False)
    return model.to(device).eval()


def load_classifier(
    device: torch.device | str | None = None,
    path: Path | None = None,
    sha256: str | None = None,
) -> MNISTClassifier:
    """The shipped classifier in eval mode, sha256-verified, cached per process and device.

    ``path``/``sha256`` override the shipped file and its pinned hash (tests, retraining).
    Raises ``WeightsError`` naming the file and both hashes when the file does not match.
    """
    dev = str(torch.device(device)) if device is not None else "cpu"
    return _load(dev, str(path or WEIGHTS_PATH), sha256 or CLASSIFIER_SHA256)


@torch.no_grad()
def classify(
    x: Tensor,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
    sha256: str | None = None,
) -> tuple[Tensor, Tensor]:
    """Features ``(N, 128)`` and class probabilities ``(N, 10)`` of 1-channel images in [-1, 1].

    ``x`` may be uint8 (0..255; scaled to [-1, 1]) or float. Computed on ``device`` (default: the
    device of ``x``) in batches, returned on the CPU as float64. ``sha256`` is the hash the
    weights must have (default ``CLASSIFIER_SHA256``).
    """
    x = check_images(x)
    dev = torch.device(device) if device is not None else x.device
    model = load_classifier(dev, sha256=sha256)
    feats, probs = [], []
    for i in range(0, x.shape[0], batch_size):
        b = x[i : i + batch_size].to(dev)
        b = b.float().div(127.5).sub(1.0) if b.dtype == torch.uint8 else b.float()
        f = model.features(b)
        feats.append(f.double().cpu())
        probs.append(model.head(f).double().softmax(1).cpu())
    return torch.cat(feats), torch.cat(probs)


def stacked_labels(
    x: Tensor, batch_size: int = 1000, device: torch.device | str | None = None
) -> Tensor:
    """Stacked MNIST labels in 0..999: each of the 3 channels classified, ``100*r + 10*g + b``."""
    x = check_images(x, (3,))
    digits = [classify(x[:, c : c + 1], batch_size, device)[1].argmax(1) for c in range(3)]
    return digits[0] * 100 + digits[1] * 10 + digits[2]


class MNISTFeatures(FeatureExtractor):
    """The ``mnist-classifier`` extractor: the classifier's features, probabilities and labels.

    Images with one channel give ``features`` ``(N, 128)``, ``probs`` ``(N, 10)`` and ``labels``.
    Images with C channels (Stacked MNIST: C = 3) are classified channel by channel: ``features``
    are the C feature vectors concatenated ``(N, 128 C)`` and ``labels`` the C digits read as a
    base-10 number (``100 r + 10 g + b``); there are no ``probs``. The weights are checked against
    the spec's sha256 when they load. Reference sets' outputs are cached on disk
    (``cache_reference``, `ganzoo.metrics.refcache`), keyed by the exact images and the weights'
    sha256: an evaluation then classifies only its own samples.
    """

    cache_reference = True

    @property
    def sha256(self) -> str:
        """The hash the weights must have: the spec's pin, else ``CLASSIFIER_SHA256``."""
        pinned = self.spec.sha256 if self.spec is not None else None
        return pinned or CLASSIFIER_SHA256

    def check(self, x: Tensor, data: DatasetSpec) -> None:
        """Raise ``DataError`` unless ``x`` is ``(N, C, 28, 28)``, C = the data's channels.

        32x32 images pass for MNIST padded to 32 px (cropped to their central 28x28).
        """
        check_images(x, (data.shape[0],), padded=data.name in PADDED_DATA)

    def extract(self, x: Tensor, data: DatasetSpec) -> dict[str, Tensor]:
        """Features, and probabilities (one channel) or stacked labels (several), on the CPU."""
        x = check_images(x, (data.shape[0],), padded=data.name in PADDED_DATA)  # = self.check
        if x.shape[1] == 1:
            feats, probs = classify(x, sha256=self.sha256)
            return {"features": feats, "probs": probs, "labels": probs.argmax(1)}
        parts = [classify(x[:, c : c + 1], sha256=self.sha256) for c in range(x.shape[1])]
        labels = torch.zeros(x.shape[0], dtype=torch.long)
        for _, probs in parts:
            labels = labels * 10 + probs.argmax(1)
        return {"features": torch.cat([f for f, _ in parts], 1), "labels": labels}
