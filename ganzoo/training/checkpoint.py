"""Checkpoints: safetensors for weights and tensor state, JSON for the rest; never pickle.

A checkpoint is a folder ``checkpoints/step-0000100/`` written under a temporary name and renamed
into place, so a crash never leaves a half-written checkpoint; ``checkpoints/latest.json`` names
the newest complete one. Its ``state.json`` is the manifest: the sha256 of every other file
(``files``), checked before anything is loaded, so a flipped bit in the weights is found rather
than trained on. Every field of ``state.json`` is checked for its type before it is used; damage
is a `ganzoo.errors.CheckpointError` naming the file and the field.
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
    sha256_file,
)

LATEST = "latest.json"
STATE = "state.json"
"""A checkpoint's manifest: step, JSON state, optimizers' plain state, files' sha256."""


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
    params = dict(
        zip(
            (i for g in groups for i in g["params"]),
            (p for g in opt.param_groups for p in g["params"]),
            strict=True,
        )
    )
    for idx, values in state.items():
        if idx not in params:
            raise CheckpointError(f"the optimizer state names parameter {idx}, which has none")
        for key, value in values.items():
            if not isinstance(value, Tensor):
                continue
            if value.dim() and value.shape != params[idx].shape:
                raise CheckpointError(
                    f"the optimizer state {idx}.{key} is shaped {tuple(value.shape)}, "
                    f"its parameter {tuple(params[idx].shape)}"
                )
            if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                raise CheckpointError(f"the optimizer state {idx}.{key} holds NaN or infinity")
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
    meta["files"] = {p.name: sha256_file(p) for p in sorted(tmp.iterdir())}
    (tmp / STATE).write_text(json.dumps(meta, indent=1))
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
    return checkpoint_candidates(folder)[0]


def checkpoint_candidates(folder: Path) -> list[Path]:
    """The checkpoints under ``folder``, newest first: the one ``latest.json`` names, then the others.

    Raises:
        CheckpointError: There is none, or ``latest.json`` is unreadable.
    """
    folder = Path(folder)
    pointer = folder / LATEST
    first: list[Path] = []
    if pointer.is_file():
        try:
            info = json.loads(pointer.read_text())
            name = info["path"]
            if not isinstance(name, str) or Path(name).name != name:
                raise ValueError(f"path {name!r} is not a folder name")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
            raise CheckpointError(
                f"{pointer} is corrupt ({err}); delete it to fall back to the newest step-* folder"
            ) from None
        if (folder / name).is_dir():
            first = [folder / name]
    others = sorted((p for p in folder.glob("step-*") if p.is_dir()), reverse=True)
    candidates = first + [p for p in others if p not in first]
    if not candidates:
        raise CheckpointError(f"no checkpoint under {folder}: the run saved none yet")
    return candidates


def _field(path: Path, name: str, problem: str) -> CheckpointError:
    return CheckpointError(f"checkpoint {path} is corrupt: {STATE} field {name} {problem}")


def read_manifest(path: Path) -> dict[str, Any]:
    """``state.json`` of the checkpoint at ``path``, each field checked for its type.

    Raises:
        CheckpointError: The file is unreadable, or a field is missing or of the wrong type
            (the message names the checkpoint and the field).
    """
    meta_file = path / STATE
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
    step = meta["step"]
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise _field(path, "step", f"must be a non-negative integer, not {step!r:.40}")
    if not isinstance(meta["state"], dict):
        raise _field(path, "state", "must be a mapping")
    if not isinstance(meta["optimizers"], dict):
        raise _field(path, "optimizers", "must be a mapping")
    for name, opt in meta["optimizers"].items():
        where = f"optimizers.{name}"
        if not isinstance(opt, dict):
            raise _field(path, where, "must be a mapping")
        groups = opt.get("param_groups")
        if not isinstance(groups, list) or not all(
            isinstance(g, dict)
            and isinstance(g.get("params"), list)
            and all(isinstance(i, int) for i in g["params"])
            for g in groups
        ):
            raise _field(path, f"{where}.param_groups", "must be a list of groups with params")
        if not isinstance(opt.get("plain", {}), dict) or not all(
            isinstance(v, dict) for v in opt.get("plain", {}).values()
        ):
            raise _field(path, f"{where}.plain", "must map parameter indices to mappings")
    files = meta.get("files", {})
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and Path(k).name == k and isinstance(v, str) for k, v in files.items()
    ):
        raise _field(path, "files", "must map file names to sha256 digests")
    return meta


def verify_files(path: Path, meta: dict[str, Any]) -> None:
    """Check every file the manifest lists against its sha256 (checkpoints without one: no check).

    Raises:
        CheckpointError: A listed file is missing or its content differs from when it was saved.
    """
    for name, digest in meta.get("files", {}).items():
        file = path / name
        if not file.is_file():
            raise CheckpointError(f"checkpoint {path} is incomplete: {name} is missing")
        if sha256_file(file) != digest:
            raise CheckpointError(
                f"checkpoint {path} is corrupt: {name} does not match the sha256 that "
                f"{STATE} recorded when it was saved"
            )


def load_checkpoint(
    path: Path,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    restore_rng: bool = True,
    optional: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Load a checkpoint into ``modules`` and ``optimizers``; return its JSON ``state``.

    The files are checked against the manifest's sha256 first, then each is loaded strictly:
    the weights must fit the modules and be finite, the optimizer state must fit the
    parameters. A module named in ``optional`` that the checkpoint did not save (a run that
    resumes with a learning-rate schedule it did not have) is left as it is and listed in the
    returned state's ``"absent"``.

    Raises:
        CheckpointError: One line naming the checkpoint, the file and what is wrong with it.
    """
    path = Path(path)
    meta = read_manifest(path)
    if missing := sorted(set(optimizers) - set(meta["optimizers"])):
        raise CheckpointError(
            f"checkpoint {path} cannot be resumed: {STATE} has no state for the "
            f"optimizer(s) {', '.join(missing)}"
        )
    verify_files(path, meta)
    listed = meta.get("files")
    absent = [
        name
        for name in optional
        if name in modules
        and (
            f"{name}.safetensors" not in listed
            if listed
            else not (path / f"{name}.safetensors").is_file()
        )
    ]
    file = path / STATE
    try:
        for name, module in modules.items():
            if name in absent:
                continue
            file = path / f"{name}.safetensors"
            load_module_file(module, file)
        for name, opt in optimizers.items():
            file = path / f"optim_{name}.safetensors"
            optimizer_from_files(opt, read_tensors(file), meta["optimizers"][name])
        if restore_rng:
            file = path / "rng.safetensors"
            set_rng_state(read_tensors(file))
    except WeightsError as err:
        raise CheckpointError(f"checkpoint {path} cannot be resumed: {err}") from None
    except CheckpointError as err:
        raise CheckpointError(f"checkpoint {path} cannot be resumed: {file.name}: {err}") from None
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as err:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: {file.name} does not fit ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:200] if str(err) else 'no detail'})"
        ) from None
    return {"step": meta["step"], **meta["state"], **({"absent": absent} if absent else {})}


def load_latest_intact(
    folder: Path,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    optional: tuple[str, ...] = (),
) -> tuple[Path, dict[str, Any], list[str]]:
    """Load the newest checkpoint under ``folder`` that is intact, falling back to older ones.

    Returns:
        The checkpoint loaded, its state, and why each newer one was passed over (one line
        each; empty when the newest was intact).

    Raises:
        CheckpointError: There is no checkpoint, or none loads (the newest one's error).
    """
    skipped: list[str] = []
    errors: list[CheckpointError] = []
    for path in checkpoint_candidates(folder):
        try:
            return path, load_checkpoint(path, modules, optimizers, optional=optional), skipped
        except CheckpointError as err:
            errors.append(err)
            skipped.append(str(err))
    more = (
        f" (and no older checkpoint loads either: {len(errors) - 1} tried)"
        if len(errors) > 1
        else ""
    )
    raise CheckpointError(f"{errors[0]}{more}")
