"""Checkpoints: safetensors for weights and tensor state, JSON for the rest; never pickle.

A checkpoint is a folder ``checkpoints/step-0000100/`` written under a temporary name and renamed
into place, so a crash never leaves a half-written checkpoint; ``checkpoints/latest.json`` names
the newest complete one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.errors import CheckpointError, WeightsError
from ganzoo.weights import (
    atomic_write_bytes,
    load_module_file,
    read_tensors,
    save_module,
    save_tensors,
)

LATEST = "latest.json"


def optimizer_to_files(opt: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Split an optimizer state dict into tensors (for safetensors) and JSON-able values."""
    sd = opt.state_dict()
    tensors: dict[str, Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            if isinstance(value, Tensor):
                tensors[f"{idx}.{key}"] = value
            else:
                plain.setdefault(str(idx), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "plain": plain}


def optimizer_from_files(
    opt: torch.optim.Optimizer, tensors: dict[str, Tensor], meta: dict[str, Any]
) -> None:
    """Restore an optimizer from ``optimizer_to_files`` output."""
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        idx, key = name.split(".", 1)
        state.setdefault(int(idx), {})[key] = value
    for idx, values in meta.get("plain", {}).items():
        state.setdefault(int(idx), {}).update(values)
    groups = meta["param_groups"]
    if len(groups) != len(opt.param_groups) or any(
        len(a["params"]) != len(b["params"]) for a, b in zip(groups, opt.param_groups, strict=True)
    ):
        raise CheckpointError(
            "the optimizer state in the checkpoint does not fit this model's parameters"
        )
    opt.load_state_dict({"state": state, "param_groups": groups})


def rng_state() -> dict[str, Tensor]:
    """The global RNG states (CPU, and CUDA when used) as tensors."""
    out = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            out[f"cuda{i}"] = s
    return out


def set_rng_state(states: dict[str, Tensor]) -> None:
    """Restore the global RNG states saved by `rng_state` (CUDA ones on the devices there are)."""
    torch.set_rng_state(states["cpu"])
    cuda = [states[k] for k in sorted(states) if k.startswith("cuda")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda[: torch.cuda.device_count()])


def save_checkpoint(
    folder: Path,
    step: int,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    state: dict[str, Any],
    keep: int = 2,
) -> Path:
    """Write a checkpoint of ``modules``/``optimizers``/``state`` for ``step``; keep the last ``keep``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"step-{step:07d}"
    tmp = folder / f".tmp-step-{step:07d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name, module in modules.items():
        save_module(module, tmp / f"{name}.safetensors")
    meta: dict[str, Any] = {"step": step, "state": state, "optimizers": {}}
    for name, opt in optimizers.items():
        tensors, plain = optimizer_to_files(opt)
        save_tensors(tensors, tmp / f"optim_{name}.safetensors")
        meta["optimizers"][name] = plain
    save_tensors(rng_state(), tmp / "rng.safetensors")
    (tmp / "state.json").write_text(json.dumps(meta, indent=1))
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    atomic_write_bytes(folder / LATEST, json.dumps({"step": step, "path": final.name}).encode())
    old = sorted(p for p in folder.glob("step-*") if p.is_dir())[:-keep]
    for p in old:
        shutil.rmtree(p, ignore_errors=True)
    return final


def latest_checkpoint(folder: Path) -> Path:
    """The newest complete checkpoint under ``folder`` (a clear error if there is none)."""
    folder = Path(folder)
    pointer = folder / LATEST
    if pointer.is_file():
        try:
            path = folder / json.loads(pointer.read_text())["path"]
        except (ValueError, KeyError) as err:
            raise CheckpointError(
                f"{pointer} is corrupt ({err}); delete it to fall back to the newest step-* folder"
            ) from None
        if path.is_dir():
            return path
    candidates = sorted(p for p in folder.glob("step-*") if p.is_dir())
    if not candidates:
        raise CheckpointError(f"no checkpoint under {folder}: the run saved none yet")
    return candidates[-1]


def load_checkpoint(
    path: Path,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    restore_rng: bool = True,
) -> dict[str, Any]:
    """Load a checkpoint into ``modules`` and ``optimizers``; return its JSON ``state``."""
    path = Path(path)
    meta_file = path / "state.json"
    try:
        meta = json.loads(meta_file.read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: cannot read {meta_file.name} ({err})"
        ) from None
    lacks = sorted(
        {"step", "state", "optimizers"} - (meta.keys() if isinstance(meta, dict) else set())
    )
    if lacks:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: {meta_file.name} lacks {', '.join(lacks)}"
        )
    if missing := sorted(set(optimizers) - set(meta["optimizers"])):
        raise CheckpointError(
            f"checkpoint {path} cannot be resumed: {meta_file.name} has no state for the "
            f"optimizer(s) {', '.join(missing)}"
        )
    try:
        for name, module in modules.items():
            file = path / f"{name}.safetensors"
            load_module_file(module, file)
        for name, opt in optimizers.items():
            file = path / f"optim_{name}.safetensors"
            optimizer_from_files(opt, read_tensors(file), meta["optimizers"][name])
        if restore_rng:
            set_rng_state(read_tensors(path / "rng.safetensors"))
    except (WeightsError, KeyError) as err:
        raise CheckpointError(f"checkpoint {path} cannot be resumed: {err}") from None
    return {"step": meta["step"], **meta["state"]}
