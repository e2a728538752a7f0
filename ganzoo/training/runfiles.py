"""What a run writes about itself: ``config.json`` at the start, ``run.json`` as it goes.

Both are written atomically (a temporary file renamed into place): a killed run never leaves
half a file.

(Reading a run directory back is `ganzoo.training.rundir`'s job.)
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from ganzoo._version import __version__
from ganzoo.hardware import cpu_name
from ganzoo.specs import DatasetSpec
from ganzoo.training.config import TrainConfig
from ganzoo.training.rundir import DATA_FILE, RUN_INFO, read_run_info
from ganzoo.weights import atomic_write_bytes


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
    run_dir.mkdir(parents=True, exist_ok=True)
    resolved = config.model_copy(update={"out": str(run_dir)})
    text = json.dumps(data_spec.model_dump(mode="json"), indent=2) + "\n"
    atomic_write_bytes(run_dir / DATA_FILE, text.encode())
    text = json.dumps(resolved.model_dump(mode="json"), indent=2)
    atomic_write_bytes(run_dir / "config.json", text.encode())


def previous_segments(run_dir: Path, resumed: bool) -> list[dict[str, Any]]:
    """The run's earlier segments (one per start or resume), from ``run.json``.

    A segment still marked ``running`` is one whose process died without a word (``kill -9``,
    a crash, a lost machine): it becomes ``lost``, its figures as of its last checkpoint kept.
    A ``run.json`` written before segments existed counts as one segment of its totals.

    Args:
        run_dir: The run directory.
        resumed: Whether this is a resume (a new run has no earlier segments).
    """
    if not resumed or not (run_dir / RUN_INFO).is_file():
        return []
    try:
        info = read_run_info(run_dir)
    except ValueError:
        return []
    if not isinstance(info, dict):
        return []
    segments = info.get("segments")
    if isinstance(segments, list) and all(isinstance(s, dict) for s in segments):
        out = [dict(s) for s in segments]
        for s in out:
            if s.get("status") == "running":
                s["status"] = "lost"
        return out
    try:
        wall, images = float(info.get("wall_seconds") or 0.0), int(info.get("images") or 0)
    except (TypeError, ValueError):
        return []
    return [
        {"status": info.get("status"), "step": info.get("step"), "wall_seconds": wall,
         "images": images}
    ]  # fmt: skip


def write_run_info(
    run_dir: Path,
    segments: list[dict[str, Any]],
    status: str,
    step: int,
    total_steps: int,
    device: torch.device,
    extra: dict[str, Any],
) -> None:
    """Write ``run.json`` atomically: status, steps, wall time and images of every segment.

    The run writes it when it starts (``running``), at each checkpoint and when it ends, so
    after a ``kill -9`` it still holds every earlier segment and this one up to its last
    checkpoint.

    Args:
        run_dir: The run directory.
        segments: Every segment so far, this one last (``wall_seconds``, ``images``,
            ``status``, ``step``, where it resumed from and what it changed).
        status: running, finished, stopped, interrupted or failed.
        step: The step the run reached.
        total_steps: The step it was to reach.
        device: The device it ran on.
        extra: Fields the strategy adds (a multi-process run's world size and batches).
    """
    total_wall = sum(float(s.get("wall_seconds") or 0.0) for s in segments)
    total_images = sum(int(s.get("images") or 0) for s in segments)
    last = segments[-1] if segments else {}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    info = {
        "status": status,
        "step": step,
        "total_steps": total_steps,
        "wall_seconds": round(total_wall, 2),
        "images": total_images,
        "images_per_second": round(total_images / total_wall, 1) if total_wall else None,
        "segment": {"wall_seconds": last.get("wall_seconds", 0.0), "images": last.get("images", 0)},
        "segments": segments,
        "device": str(device),
        "hardware": hardware(device),
        "torch": torch.__version__,
        "ganzoo": __version__,
        "updated": now,
        **({} if status == "running" else {"finished": now}),
        **extra,
    }
    atomic_write_bytes(run_dir / RUN_INFO, json.dumps(info, indent=2).encode())


class Segment:
    """This invocation of a run (a start or a resume): its figures, and the earlier segments.

    Attributes:
        earlier: The segments before this one (`previous_segments`).
        info: What ``run.json`` records of this one besides its figures (where it resumed
            from, what it changed).
        images: Real images read so far by this process.
    """

    def __init__(self) -> None:
        self.earlier: list[dict[str, Any]] = []
        self.info: dict[str, Any] = {"resumed_from": None, "from_step": 0}
        self.images = 0
        self._start = time.perf_counter()

    def begin(self, run_dir: Path, resumed: bool) -> None:
        """Start the clock; read the earlier segments of a resumed run."""
        self.earlier = previous_segments(run_dir, resumed)
        self.info["started"] = datetime.now(UTC).isoformat(timespec="seconds")
        self._start, self.images = time.perf_counter(), 0

    @property
    def wall(self) -> float:
        """Wall seconds since `begin`."""
        return time.perf_counter() - self._start

    def figures(self, status: str, step: int, world_size: int) -> dict[str, Any]:
        """This segment as ``run.json`` lists it."""
        return {
            **self.info, "status": status, "step": step, "wall_seconds": round(self.wall, 2),
            "images": self.images * world_size,
        }  # fmt: skip

    def summary(
        self, status: str, step: int, total_steps: int, world_size: int, extra: dict[str, Any]
    ) -> dict[str, Any]:
        """What `Trainer.run` returns on a process that writes no ``run.json`` (not the main one).

        Its status, step and this segment's wall time and image rate, with ``extra`` (the rank
        and the strategy's fields).
        """
        figures = self.figures(status, step, world_size)
        wall = figures["wall_seconds"]
        return {
            "status": status, "step": step, "total_steps": total_steps, "wall_seconds": wall,
            "images_per_second": round(figures["images"] / wall, 1) if wall else None, **extra,
        }  # fmt: skip

    def write(
        self, run_dir: Path, status: str, step: int, total_steps: int, device: torch.device,
        world_size: int, extra: dict[str, Any],
    ) -> None:  # fmt: skip
        """Write ``run.json`` with every segment, this one as it stands (`write_run_info`)."""
        segments = [*self.earlier, self.figures(status, step, world_size)]
        write_run_info(run_dir, segments, status, step, total_steps, device, extra)
