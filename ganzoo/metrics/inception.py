"""The FID Inception network through torch-fidelity: the ``inception-v3`` extractor entry.

torch-fidelity's ``FeatureExtractorInceptionV3`` is the PyTorch port of the TensorFlow graph
that FID, KID and IS were defined with (``pt_inception-2015-12-05``): it takes uint8 RGB images,
resizes them to 299 x 299 with a bilinear filter that reproduces TensorFlow 1.x's, and gives the
2048-d pool3 features (FID, KID, precision/recall, density/coverage) and the 1008 logits without
the final bias (``logits_unbiased``, what torch-fidelity computes the Inception score from).

ganzoo samples are floats in [-1, 1]: they become uint8 as ``round((x + 1) * 127.5)`` (which
gives back the exact bytes of real uint8 images), and 1-channel images are repeated to RGB.

The weights are torch-fidelity's file ``weights-inception-2015-12-05-6726825d.pth``, pinned by
sha256 (``INCEPTION_SHA256`` in ``ganzoo/metrics/catalog.py``) and checked before they load. They
come from, in order: the ``weights`` option (``--inception-weights``), ``$GANZOO_INCEPTION_WEIGHTS``,
the torch hub cache, or a download from torch-fidelity's release URL into that cache.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.errors import ConfigError, DataError, WeightsError
from ganzoo.interfaces import FeatureExtractor
from ganzoo.metrics.catalog import INCEPTION_BYTES, INCEPTION_FILE, INCEPTION_SHA256
from ganzoo.metrics.configs import InceptionConfig
from ganzoo.specs import DatasetSpec
from ganzoo.weights import sha256_file

WEIGHTS_ENV = "GANZOO_INCEPTION_WEIGHTS"
"""Environment variable naming a local copy of the Inception weights."""
INSTALL = "pip install 'torch-ganzoo[metrics]'"
"""The command that installs torch-fidelity with ganzoo."""
FEATURES_LAYER = "2048"
"""torch-fidelity's name of the pool3 features."""
LOGITS_LAYER = "logits_unbiased"
"""torch-fidelity's name of the logits its Inception score reads."""
INPUT = "uint8 RGB: round((x + 1) * 127.5) of [-1, 1] samples; 1 channel repeated to 3"
RESIZE = "bilinear to 299x299 as TensorFlow 1.x (torch-fidelity interpolate_bilinear_2d_like_tensorflow1x)"


def fidelity() -> ModuleType:
    """The ``torch_fidelity`` package, or a one-line ``ConfigError`` naming the pip command."""
    try:
        import torch_fidelity
    except ImportError:
        raise ConfigError(
            f"the Inception metrics compute through torch-fidelity, which is not installed: {INSTALL}"
        ) from None
    return torch_fidelity


def weights_url() -> str:
    """torch-fidelity's download URL of the weights."""
    fidelity()
    from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

    return str(URL_INCEPTION_V3)


def hub_path() -> Path:
    """Where torch-fidelity's own download puts the weights: the torch hub cache."""
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE


def _how_to_supply() -> str:
    return (
        f"download {INCEPTION_FILE} ({INCEPTION_BYTES:,} bytes, sha256 {INCEPTION_SHA256[:12]}...) "
        f"from {weights_url()} where there is network, then pass --inception-weights PATH "
        f"(Python: extractors={{'inception-v3': {{'weights': PATH}}}}), set {WEIGHTS_ENV}=PATH, "
        f"or put it in {hub_path().parent}"
    )


def _download(url: str, path: Path) -> None:
    """Download with torch hub (a temporary file, then a rename), as torch-fidelity does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.hub.download_url_to_file(url, str(path), hash_prefix=INCEPTION_SHA256[:8])


@lru_cache(maxsize=4)
def _verified(path: str, size: int, mtime_ns: int) -> None:
    """Raise ``WeightsError`` unless the file is the pinned one (cached per file version)."""
    if size != INCEPTION_BYTES:
        raise WeightsError(
            f"Inception weights {path} hold {size:,} bytes, expected {INCEPTION_BYTES:,} "
            f"({INCEPTION_FILE}); {_how_to_supply()}"
        )
    actual = sha256_file(Path(path))
    if actual != INCEPTION_SHA256:
        raise WeightsError(
            f"Inception weights {path} have sha256 {actual}, expected {INCEPTION_SHA256} "
            f"({INCEPTION_FILE}); {_how_to_supply()}"
        )


def resolve_weights(options: InceptionConfig) -> Path:
    """The verified weights file: the option, the environment variable, the hub cache or a download.

    Raises:
        WeightsError: A named file that does not exist or is not the pinned one, or no file and
            no download (offline): one line saying how to supply the weights.
    """
    given, source = options.weights, "--inception-weights"
    if given is None and os.environ.get(WEIGHTS_ENV):
        given, source = os.environ[WEIGHTS_ENV], WEIGHTS_ENV
    if given is not None:
        path = Path(given).expanduser()
        if not path.is_file():
            raise WeightsError(
                f"Inception weights {path} ({source}) do not exist; {_how_to_supply()}"
            )
    else:
        path = hub_path()
        if not path.is_file():
            if not options.download:
                raise WeightsError(
                    f"no Inception weights and downloads are off; {_how_to_supply()}"
                )
            try:
                _download(weights_url(), path)
            except (OSError, RuntimeError) as err:
                reason = str(err).splitlines()[0] if str(err) else type(err).__name__
                raise WeightsError(
                    f"no Inception weights and the download failed ({reason}); {_how_to_supply()}"
                ) from None
    stat = path.stat()
    _verified(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    return path


def to_uint8_rgb(x: Tensor) -> Tensor:
    """``(N, 1 or 3, H, W)`` images (uint8, or floats in [-1, 1]) as uint8 RGB, ``(N, 3, H, W)``."""
    if x.dim() != 4 or x.shape[1] not in (1, 3):
        raise DataError(
            f"Inception features need images shaped (N, 1 or 3, H, W); got {tuple(x.shape)}"
        )
    if x.dtype != torch.uint8:
        x = ((x.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


class InceptionFeatures(FeatureExtractor):
    """The ``inception-v3`` extractor: pool3 ``features`` ``(N, 2048)`` and ``logits`` ``(N, 1008)``.

    The network is torch-fidelity's FID Inception (see the module docstring); it loads on first
    use (`prepare` loads it before any samples are drawn). Subclasses may override
    `load_network` with any module of the same call: uint8 ``(N, 3, H, W)`` in, a tuple
    ``(features, logits)`` out (the tests use a small stand-in that way).

    Reference sets' outputs are cached on disk (``cache_reference``), keyed by the exact images
    and this extractor's identity (`ganzoo.metrics.refcache`).
    """

    cache_reference = True
    """Cache the outputs of real reference sets on disk (the network is slow)."""

    def __init__(self, config: Any = None, spec: Any = None) -> None:
        super().__init__(config, spec)
        self._network: nn.Module | None = None

    @property
    def options(self) -> InceptionConfig:
        """The validated options (defaults when built by hand)."""
        return self.config if isinstance(self.config, InceptionConfig) else InceptionConfig()

    @property
    def device(self) -> torch.device:
        """The device the network runs on: the option, else cuda when available, else cpu."""
        if self.options.device is not None:
            return torch.device(self.options.device)
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def load_network(self) -> nn.Module:
        """torch-fidelity's FID Inception with the verified weights, in eval mode."""
        fidelity()
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        path = resolve_weights(self.options)
        return FeatureExtractorInceptionV3(
            "inception-v3-compat",
            [FEATURES_LAYER, LOGITS_LAYER],
            feature_extractor_weights_path=str(path),
        )

    def network(self) -> nn.Module:
        """The network on `device`, loaded once."""
        if self._network is None:
            self._network = self.load_network().to(self.device).eval()
        return self._network

    def prepare(self) -> None:
        """Load the network now, so missing weights fail before samples are drawn."""
        self.network()

    def protocol_params(self) -> dict[str, float | int | str]:
        """How images reach the network, recorded in every result's protocol."""
        return {"inception_input": INPUT, "inception_resize": RESIZE}

    def check(self, x: Tensor, data: DatasetSpec) -> None:
        """Raise ``DataError`` unless ``x`` is images ``(N, 1 or 3, H, W)``."""
        if x.dim() != 4 or x.shape[1] not in (1, 3):
            raise DataError(
                f"Inception features need images shaped (N, 1 or 3, H, W); {data.name} samples "
                f"are {tuple(x.shape[1:])}"
            )

    @torch.no_grad()
    def extract(self, x: Tensor, data: DatasetSpec) -> dict[str, Tensor]:
        """``features`` ``(N, 2048)`` and ``logits`` ``(N, 1008)``, float64 on the CPU."""
        self.check(x, data)
        net, dev, step = self.network(), self.device, self.options.batch_size
        feats, logits = [], []
        for i in range(0, x.shape[0], step):
            f, lg = net(to_uint8_rgb(x[i : i + step]).to(dev))
            feats.append(f.double().cpu())
            logits.append(lg.double().cpu())
        return {"features": torch.cat(feats), "logits": torch.cat(logits)}
