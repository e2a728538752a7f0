"""Safetensors I/O for module weights: atomic saves, strict loads with errors that say what differs.

No pickle anywhere: weights are safetensors, everything else JSON.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from ganzoo.errors import WeightsError


def _umask_mode() -> int:
    """The mode a plain ``open()`` would give a new file (mkstemp's 0600 is too strict)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_tensors(
    tensors: Mapping[str, Tensor], path: Path, metadata: dict[str, str] | None = None
) -> None:
    """Save a flat dict of tensors as safetensors, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        clean = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
        save_file(clean, tmp, metadata=metadata)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def module_tensors(module: nn.Module) -> dict[str, Tensor]:
    """A module's state dict with shared storage broken (safetensors refuses aliases).

    A tensor is copied when it views part of a larger storage or when an earlier key already holds
    its storage (tied weights: each key gets its own copy in the file).
    """
    out: dict[str, Tensor] = {}
    seen: set[int] = set()
    for k, v in module.state_dict().items():
        ptr = v.untyped_storage().data_ptr()
        out[k] = v.detach().clone() if _shares(v) or (ptr in seen and v.numel()) else v.detach()
        seen.add(ptr)
    return out


def _shares(t: Tensor) -> bool:
    return t.untyped_storage().nbytes() != t.numel() * t.element_size()


def save_module(module: nn.Module, path: Path, metadata: dict[str, str] | None = None) -> None:
    """Save ``module``'s state dict to ``path`` (safetensors, atomic)."""
    save_tensors(module_tensors(module), path, metadata)


def read_tensors(path: Path) -> dict[str, Tensor]:
    """Read a safetensors file; a missing or corrupt file raises ``WeightsError`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weight file {path} does not exist")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise WeightsError(
            f"{path} is not a readable safetensors file ({err}); "
            "delete it and download or re-save it"
        ) from None


def load_module(module: nn.Module, tensors: Mapping[str, Tensor], source: str) -> None:
    """Load ``tensors`` into ``module`` strictly: missing, unexpected or misshapen keys are an error.

    Tensors are cast to the dtype of the module's own (fp16 files load into fp32 models). Weights
    that hold NaN or infinity are an error too: nothing useful is computed from them.
    """
    own = module.state_dict()
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    shapes = [
        f"{k}: file {tuple(tensors[k].shape)} vs model {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(tensors))
        if tensors[k].shape != own[k].shape
    ]
    problems = []
    if missing:
        problems.append(f"missing keys {_few(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {_few(unexpected)}")
    if shapes:
        problems.append(f"wrong shapes {_few(shapes)}")
    if not problems and (bad := non_finite(tensors)):
        raise WeightsError(
            f"weights in {source} hold NaN or infinite values (in {_few(bad)}): a diverged "
            "run's or damaged weights; use other weights or an earlier checkpoint"
        )
    if problems:
        raise WeightsError(
            f"weights in {source} do not match {type(module).__name__}: "
            + "; ".join(problems)
            + ". Check that the architecture config and data set are the ones the weights were saved with."
        )
    with torch.no_grad():
        module.load_state_dict({k: v.to(own[k].dtype) for k, v in tensors.items()}, strict=True)


def non_finite(tensors: Mapping[str, Tensor]) -> list[str]:
    """The names of the floating-point tensors in ``tensors`` that hold NaN or an infinity."""
    return [
        k
        for k, v in tensors.items()
        if v.is_floating_point() and v.numel() and not bool(torch.isfinite(v).all())
    ]


def load_module_file(module: nn.Module, path: Path) -> None:
    """Load the safetensors file at ``path`` into ``module`` strictly (`read_tensors` + `load_module`).

    Raises:
        WeightsError: the file is missing or corrupt, or its keys or shapes do not fit (naming it).
    """
    load_module(module, read_tensors(path), str(path))


def _few(items: list[str], n: int = 5) -> str:
    head = ", ".join(items[:n])
    return head + (f" (and {len(items) - n} more)" if len(items) > n else "")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
