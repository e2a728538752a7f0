"""What a run writes about itself: ``config.json`` at the start, ``run.json`` at the end.

(Reading a run directory back is `ganzoo.training.rundir`'s job.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from ganzoo._version import __version__
from ganzoo.hardware import cpu_name
from ganzoo.specs import DatasetSpec
from ganzoo.training.config import TrainConfig
from ganzoo.training.rundir import DATA_FILE


def default_run_dir(config: TrainConfig) -> Path:
    """``runs/<arch>-<data>-<YYYYmmdd-HHMMSS>``, a directory that does not exist yet.

    Later runs that start in the same second get ``-2``, ``-3``, ...: a default never names a
    directory that holds a run.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{config.architecture}-{config.data or 'default'}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def hardware(device: torch.device) -> str:
    """A short description of the device the run used."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"{cpu_name()}, {threads} thread{'s' if threads > 1 else ''}"


def write_config(run_dir: Path, config: TrainConfig, data_spec: DatasetSpec) -> None:
    """Write ``config.json`` (the resolved config and the run directory) and ``data.json``.

    ``data.json`` is the spec of the data the run trains on, with its real sample shape and
    classes, so the run's model loads without reading the data again (an image folder, an
    array file, data given in Python).
    """
    from ganzoo.weights import atomic_write_bytes

    run_dir.mkdir(parents=True, exist_ok=True)
    resolved = config.model_copy(update={"out": str(run_dir)})
    text = json.dumps(data_spec.model_dump(mode="json"), indent=2) + "\n"
    atomic_write_bytes(run_dir / DATA_FILE, text.encode())
    (run_dir / "config.json").write_text(json.dumps(resolved.model_dump(mode="json"), indent=2))


def previous_segments(run_dir: Path, step: int) -> tuple[float, int]:
    """Wall seconds and images of the run's earlier segments (before resumes), from run.json."""
    path = run_dir / "run.json"
    if step == 0 or not path.is_file():
        return 0.0, 0
    try:
        info = json.loads(path.read_text())
        return float(info.get("wall_seconds") or 0.0), int(info.get("images") or 0)
    except (ValueError, TypeError):
        return 0.0, 0


def write_run_info(
    run_dir: Path,
    prior: tuple[float, int],
    wall: float,
    images: int,
    status: str,
    step: int,
    total_steps: int,
    device: torch.device,
    extra: dict[str, Any],
) -> None:
    """Write ``run.json``: status, steps, wall time and images of every segment, and where.

    Args:
        run_dir: The run directory.
        prior: Wall seconds and images of the earlier segments (`previous_segments`).
        wall: This segment's wall seconds.
        images: This segment's images (all processes).
        status: finished, stopped, interrupted or failed.
        step: The step the run reached.
        total_steps: The step it was to reach.
        device: The device it ran on.
        extra: Fields the strategy adds (a multi-process run's world size and batches).
    """
    prior_wall, prior_images = prior
    total_wall, total_images = prior_wall + wall, prior_images + images
    info = {
        "status": status,
        "step": step,
        "total_steps": total_steps,
        "wall_seconds": round(total_wall, 2),
        "images": total_images,
        "images_per_second": round(total_images / total_wall, 1) if total_wall else None,
        "segment": {"wall_seconds": round(wall, 2), "images": images},
        "device": str(device),
        "hardware": hardware(device),
        "torch": torch.__version__,
        "ganzoo": __version__,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
    }
    (run_dir / "run.json").write_text(json.dumps(info, indent=2))
