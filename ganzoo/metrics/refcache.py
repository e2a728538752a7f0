"""Extractor outputs of real reference sets, cached on disk (slow extractors such as Inception).

A cache file holds one extractor's outputs for one real set. Its key is the sha256 of the exact
samples (so another data set, resolution, split, sample count or edited image is another key)
and of the extractor's identity (registry name, protocol name, weights sha256); its name also
says the data set, sample shape and count, e.g.
``inception-v3/cifar10-3x32x32-n10000-<key>.safetensors`` under ``$GANZOO_CACHE/metrics/reference``
(default ``~/.cache/ganzoo``). Files are written atomically; an unreadable file is a miss.

`cached_derived` caches what a metric derives from a reference set alone (NDB's k-means bins)
the same way, keyed by the exact samples and the derivation's name and parameters.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file
from torch import Tensor

from ganzoo.interfaces import FeatureExtractor, SampleSet
from ganzoo.weights import save_tensors

CACHE_ENV = "GANZOO_CACHE"
"""Environment variable of ganzoo's cache folder (default ``~/.cache/ganzoo``)."""


def cache_root() -> Path:
    """The folder reference features are cached in."""
    base = os.environ.get(CACHE_ENV)
    root = Path(base).expanduser() if base else Path.home() / ".cache" / "ganzoo"
    return root / "metrics" / "reference"


def identity(extractor: FeatureExtractor) -> dict[str, str | None]:
    """What names an extractor's outputs: registry name, protocol name, weights sha256."""
    spec = extractor.spec
    return {
        "extractor": extractor.key,
        "class": f"{type(extractor).__module__}.{type(extractor).__qualname__}",
        "protocol_name": spec.protocol_name if spec is not None else None,
        "sha256": spec.sha256 if spec is not None else None,
    }


def cache_path(samples: SampleSet, extractor: FeatureExtractor) -> tuple[Path, dict[str, str]]:
    """The cache file of ``extractor``'s outputs on ``samples``, and the metadata it records."""
    x = samples.x.detach().cpu().contiguous()
    ident = identity(extractor)
    h = hashlib.sha256(json.dumps(ident, sort_keys=True).encode())
    h.update(f"{x.dtype}{tuple(x.shape)}".encode())
    h.update(memoryview(x.view(torch.uint8).numpy()))
    digest = h.hexdigest()
    shape = "x".join(str(s) for s in x.shape[1:])
    name = f"{samples.data.name}-{shape}-n{x.shape[0]}-{digest[:24]}.safetensors"
    meta = {**{k: str(v) for k, v in ident.items()}, "data": samples.data.name, "key": digest}
    return cache_root() / extractor.key / name, meta


def _pack(outputs: dict[str, Tensor]) -> dict[str, Tensor]:
    """float64 outputs that are exact in float32 (Inception's) are stored as float32."""
    packed = {}
    for k, v in outputs.items():
        small = v.float() if v.dtype == torch.float64 else v
        packed[k] = small if v.dtype == torch.float64 and torch.equal(small.double(), v) else v
    return packed


def _unpack(stored: dict[str, Tensor], dtypes: dict[str, str]) -> dict[str, Tensor]:
    return {k: v.double() if dtypes.get(k) == "torch.float64" else v for k, v in stored.items()}


def cached_outputs(samples: SampleSet, extractor: FeatureExtractor) -> dict[str, Tensor]:
    """``extractor``'s outputs on ``samples``, read from the cache or computed and written."""
    path, meta = cache_path(samples, extractor)
    if path.is_file():
        try:
            with safe_open(str(path), "pt") as fh:
                dtypes = json.loads((fh.metadata() or {}).get("dtypes", "{}"))
            return _unpack(load_file(path), dtypes)
        except (OSError, ValueError, SafetensorError):
            pass  # unreadable: compute again and replace it
    outputs = extractor.extract(samples.x, samples.data)
    dtypes = {k: str(v.dtype) for k, v in outputs.items()}
    save_tensors(_pack(outputs), path, metadata={**meta, "dtypes": json.dumps(dtypes)})
    return outputs


def fill(samples: SampleSet, extractor: FeatureExtractor) -> None:
    """Put ``extractor``'s outputs on ``samples`` into the set's cache (from disk when there)."""
    samples.memo(f"extractor:{extractor.key}", lambda: cached_outputs(samples, extractor))


REAL = "refcache:real"
"""Memo key marking a set as real data, whose derived values `cached_derived` may keep on disk."""


def mark_real(samples: SampleSet) -> None:
    """Mark ``samples`` as a real set (the evaluation's reference and floor sets)."""
    samples.memo(REAL, lambda: True)


def is_real(samples: SampleSet) -> bool:
    """Whether ``samples`` was marked with `mark_real`."""
    return bool(samples.memo(REAL, lambda: False))


def data_digest(samples: SampleSet) -> str:
    """sha256 of the exact samples (dtype, shape and bytes), computed once per set."""

    def digest() -> str:
        x = samples.x.detach().cpu().contiguous()
        h = hashlib.sha256(f"{x.dtype}{tuple(x.shape)}".encode())
        h.update(memoryview(x.view(torch.uint8).numpy()))
        return h.hexdigest()

    return samples.memo("refcache:digest", digest)


def cached_derived(
    samples: SampleSet,
    name: str,
    params: dict[str, object],
    compute: Callable[[], dict[str, Tensor]],
) -> dict[str, Tensor]:
    """Tensors derived from a real set, read from the disk cache or computed and written.

    Args:
        samples: A real set (the reference, or a floor).
        name: What is derived, with a version (``"ndb-kmeans-v1"``); the cache folder's name.
        params: Everything else the result depends on (bins, seed, an extractor's identity,
            another set's `data_digest`); JSON-serialisable.
        compute: Computes the tensors on a miss.

    Returns:
        The tensors; a cache file that cannot be read or written is a miss, never an error.
    """
    x = samples.x
    what = json.dumps({"derived": name, **params}, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{what}\n{data_digest(samples)}".encode()).hexdigest()
    shape = "x".join(str(s) for s in x.shape[1:])
    file = f"{samples.data.name}-{shape}-n{x.shape[0]}-{digest[:24]}.safetensors"
    path = cache_root() / name / file
    if path.is_file():
        try:
            return load_file(path)
        except (OSError, ValueError, SafetensorError):
            pass
    value = compute()
    meta = {"derived": name, "data": samples.data.name, "key": digest, "params": what}
    with contextlib.suppress(OSError):  # a read-only cache folder: compute again next time
        save_tensors({k: v.contiguous() for k, v in value.items()}, path, metadata=meta)
    return value
