"""Image-folder data pipeline: first-pass decoding, cached batches, torchvision's ImageFolder.

    python -m benchmarks.data_pipeline [--count N] [--quick] [--no-write]

Two folders of generated images are written (``--count`` files each, 10 class subfolders):
28x28 grey PNGs and 64x64 RGB JPEGs. For each, in one run and each measurement in a fresh
child process (its own peak RSS, nothing warm in memory but the OS page cache):

* **first pass**: ``ganzoo.build("image-folder", ...)`` into an empty cache: images/s decoded
  (scan, headers, decoding with ganzoo's thread pool, writing the memory-mapped cache).
* **cached epoch**: the build again (a cache hit: scan and lookup, timed), then one epoch of
  batch 64 in a random order through ``TensorData.batch`` (index gather + scaling to [-1, 1],
  what the Trainer does each step): batches/s.
* **ImageFolder**: ``torchvision.datasets.ImageFolder`` with ``ToTensor`` + ``Normalize`` (and
  ``Grayscale`` for the grey folder) in a ``DataLoader`` (batch 64, shuffled, 2 workers), as
  users run it: batches/s over one epoch, worker start-up included, and after the first batch.
* **peak RSS** of the first pass and of the cached epoch at half and at the full folder size
  (``limit``): the cache path holds one chunk while decoding, and the cached epoch maps the file
  (its resident file pages are the page cache, reclaimable; the anonymous memory stays flat).
* **batch assembly vs a dcgan step** at 64x64: the cached batch time as a fraction of one dcgan
  training step (batch 64, default width) on this machine's CPU.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.child import call_in_child
from benchmarks.report import command, machine, publish

BATCH = 64
CLASSES = 10


def make_folder(root: Path, count: int, size: int, channels: int, fmt: str) -> Path:
    """``count`` generated images (smooth gradients plus noise, so they compress like photos)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    for i in range(count):
        cls = root / f"class{i % CLASSES}"
        cls.mkdir(parents=True, exist_ok=True)
        a, b, c = rng.uniform(0, 255, 3)
        base = a * xx + b * yy + c * xx * yy
        planes = [base + rng.normal(0, 20, base.shape) for _ in range(channels)]
        pixels = np.clip(np.stack(planes, -1), 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels)
        image.save(cls / f"{i:06d}.{fmt}", **({"quality": 90} if fmt == "jpg" else {}))
    return root


def rss_now() -> dict[str, float]:
    """Current anonymous and file-backed resident memory of this process, MiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            key, value, _ = line.split()
            out[key[:-1]] = int(value) / 1024
    return out


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def reset_peak() -> float:
    """Reset this process's peak RSS (Linux ``clear_refs`` 5) after the imports; RSS now, MiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mib("VmRSS")


def peak_mib() -> float:
    """This process's peak RSS since `reset_peak` (``VmHWM``), MiB."""
    return _status_mib("VmHWM")


def warm_imports() -> None:
    """Import what a build imports (torch, the registry, the builder), so timings exclude it."""
    import ganzoo.data.folder  # noqa: F401
    from ganzoo.registry import get_registry

    get_registry().get("image-folder")


def first_pass(folder: str, cache: str, limit: int | None = None) -> dict[str, Any]:
    """Decode ``folder`` into an empty cache; images/s and peak RSS."""
    import ganzoo

    options: dict[str, Any] = {"path": folder, "cache_dir": cache, "progress": False}
    if limit:
        options["limit"] = limit
    warm_imports()
    base = reset_peak()
    start = time.perf_counter()
    data = ganzoo.build("image-folder", **options)
    seconds = time.perf_counter() - start
    return {
        "images": len(data),
        "seconds": seconds,
        "images_per_s": len(data) / seconds,
        "base_mib": base,
        "peak_mib": peak_mib(),
        "cache_mib": data.x.numel() / 2**20,
    }


def cached_epoch(folder: str, cache: str, limit: int | None = None) -> dict[str, Any]:
    """A cache hit, then one shuffled epoch of batch-64 ``TensorData.batch`` calls."""
    import torch

    import ganzoo

    options: dict[str, Any] = {"path": folder, "cache_dir": cache, "progress": False}
    if limit:
        options["limit"] = limit
    warm_imports()
    base = reset_peak()
    start = time.perf_counter()
    data = ganzoo.build("image-folder", **options)
    hit = time.perf_counter() - start
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    batches = order.split(BATCH)
    anon_before = rss_now()["RssAnon"]
    start = time.perf_counter()
    for index in batches:
        x, _ = data.batch(index)
    seconds = time.perf_counter() - start
    rss = rss_now()
    return {
        "hit_seconds": hit,
        "batches": len(batches),
        "batches_per_s": len(batches) / seconds,
        "ms_per_batch": 1000 * seconds / len(batches),
        "base_mib": base,
        "peak_mib": peak_mib(),
        "anon_before_mib": anon_before,
        "anon_mib": rss["RssAnon"],
        "file_mib": rss["RssFile"],
        "shape": list(x.shape),
    }


def image_folder_epoch(folder: str, grey: bool, workers: int = 2) -> dict[str, Any]:
    """torchvision ImageFolder + DataLoader over ``folder`` for one shuffled epoch."""
    import torch
    from torchvision import datasets, transforms

    steps: list[Any] = [transforms.Grayscale(1)] if grey else []
    steps += [transforms.ToTensor(), transforms.Normalize([0.5], [0.5])]
    base = reset_peak()  # this process only: the workers are others
    start = time.perf_counter()
    dataset = datasets.ImageFolder(folder, transform=transforms.Compose(steps))
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=BATCH,
        shuffle=True,
        num_workers=workers,
        generator=torch.Generator().manual_seed(0),
    )
    first = None
    n, shape = 0, []
    for x, _ in loader:
        n += 1
        shape = list(x.shape)
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    assert first is not None
    return {
        "batches": n,
        "batches_per_s": n / (end - start),
        "steady_batches_per_s": (n - 1) / (end - first) if n > 1 else float("nan"),
        "shape": shape,
        "base_mib": base,
        "peak_mib": peak_mib(),
    }


def dcgan_step(folder: str, cache: str, steps: int, width: int | None) -> dict[str, Any]:
    """Seconds per dcgan training step (batch 64) on the cached 64x64 folder, after one warm-up."""
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer

    never = 10**9
    out = Path(tempfile.mkdtemp(prefix="ganzoo-data-bench-")) / "run"
    config = TrainConfig(
        architecture="dcgan",
        data="image-folder",
        data_options={"path": folder, "cache_dir": cache, "progress": False},
        architecture_options={"width": width} if width else {},
        batch_size=BATCH,
        steps=steps + 1,
        log_every=never,
        sample_every=never,
        checkpoint_every=never,
        diagnostics=[],
        device="cpu",
        out=str(out),
    )
    trainer = Trainer.create(config)
    trainer.train_step()  # warm-up
    times = []
    real = trainer.batches.real
    assembly: list[float] = []

    def timed_real() -> Any:
        t = time.perf_counter()
        result = real()
        assembly.append(time.perf_counter() - t)
        return result

    trainer.batches.real = timed_real  # type: ignore[method-assign]
    for _ in range(steps):
        t = time.perf_counter()
        trainer.train_step()
        times.append(time.perf_counter() - t)
    shutil.rmtree(out.parent, ignore_errors=True)
    times.sort()
    assembly.sort()
    return {
        "step_s": times[len(times) // 2],
        "assembly_s": assembly[len(assembly) // 2],
        "shape": list(trainer.data.spec.shape),
    }


def in_child(function: str, **kwargs: Any) -> dict[str, Any]:
    """``function(**kwargs)`` of this module in a fresh interpreter; its JSON result."""
    return call_in_child("benchmarks.data_pipeline", function, **kwargs)


def measure(count: int, work: Path, dcgan_steps: int, width: int | None) -> dict[str, Any]:
    """Every measurement for both folders; the numbers the table shows."""
    folders = {
        "28x28 grey PNG": (make_folder(work / "grey", count, 28, 1, "png"), True),
        "64x64 RGB JPEG": (make_folder(work / "rgb", count, 64, 3, "jpg"), False),
    }
    results: dict[str, Any] = {}
    for name, (folder, grey) in folders.items():
        cache = str(work / f"cache-{folder.name}")
        half = count // 2
        results[name] = {
            "first_half": in_child("first_pass", folder=str(folder), cache=cache, limit=half),
            "first": in_child("first_pass", folder=str(folder), cache=cache),
            "cached_half": in_child("cached_epoch", folder=str(folder), cache=cache, limit=half),
            "cached": in_child("cached_epoch", folder=str(folder), cache=cache),
            "imagefolder": in_child("image_folder_epoch", folder=str(folder), grey=grey),
        }
    rgb = folders["64x64 RGB JPEG"][0]
    results["dcgan"] = in_child(
        "dcgan_step",
        folder=str(rgb),
        cache=str(work / "cache-rgb"),
        steps=dcgan_steps,
        width=width,
    )
    return results


def table(results: dict[str, Any], count: int, cmd: str, load: tuple[str, str]) -> list[str]:
    """The markdown section."""
    lines = [
        "## Image-folder data pipeline: decode once, then batches from the memory-mapped cache",
        "",
        f"Machine: {machine()}; the 2 cores are shared with other jobs, so rates are depressed "
        f"and noisy. Machine load: {load[0]} before, {load[1]} after. Command: `{cmd}`. "
        f"Folders of {count:,} generated images each in {CLASSES} class subfolders; every "
        "measurement in its own child process; OS page cache warm (the files were just written).",
        "",
        "| folder | first pass (decode + write cache) | cache hit (scan + lookup) | cached epoch, "
        "batch 64 | ImageFolder + DataLoader (2 workers), epoch | same, after the first batch | "
        "cached / ImageFolder |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in ("28x28 grey PNG", "64x64 RGB JPEG"):
        r = results[name]
        first, cached, tv = r["first"], r["cached"], r["imagefolder"]
        lines.append(
            f"| {name} | {first['images_per_s']:,.0f} img/s ({first['seconds']:.1f} s) | "
            f"{cached['hit_seconds']:.2f} s | {cached['batches_per_s']:,.0f} batches/s "
            f"({cached['ms_per_batch']:.2f} ms/batch) | {tv['batches_per_s']:,.1f} batches/s | "
            f"{tv['steady_batches_per_s']:,.1f} batches/s | "
            f"{cached['batches_per_s'] / tv['batches_per_s']:,.0f}x |"
        )
    lines += [
        "",
        "Memory of the cache path, MiB: each child's resident memory after its imports (torch, "
        "ganzoo), and how far its peak rose above that during the first pass and during the "
        "cache hit + cached epoch (peak RSS reset after the imports, Linux `clear_refs`). At the "
        "end of the cached epoch its resident memory is split into anonymous memory and the "
        "cache file's mapped pages (page cache, which the kernel reclaims under pressure: a "
        "cache larger than RAM is paged, not loaded):",
        "",
        "| folder | images | cache file | after imports | first pass: peak above it | "
        "cached epoch: peak above it | anonymous at the end | mapped file pages at the end |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in ("28x28 grey PNG", "64x64 RGB JPEG"):
        for part in ("_half", ""):
            first, cached = results[name][f"first{part}"], results[name][f"cached{part}"]
            lines.append(
                f"| {name} | {first['images']:,} | {first['cache_mib']:.1f} | "
                f"{first['base_mib']:.0f} | +{first['peak_mib'] - first['base_mib']:.1f} | "
                f"+{cached['peak_mib'] - cached['base_mib']:.1f} | {cached['anon_mib']:.0f} | "
                f"{cached['file_mib']:.0f} |"
            )
    d = results["dcgan"]
    frac = d["assembly_s"] / d["step_s"]
    lines += [
        "",
        f"Batch assembly inside a dcgan step at 64x64 (batch 64, default width, CPU, median of "
        f"the timed steps): {1000 * d['assembly_s']:.2f} ms of a {d['step_s']:.2f} s step = "
        f"**{100 * frac:.3f}%** (target < 5%: {'met' if frac < 0.05 else 'NOT met'}).",
    ]
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, print the table, and (unless ``--no-write``) update docs/benchmarks.md."""
    from benchmarks.train_step import load_line

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=None, help="images per folder (10000)")
    parser.add_argument("--quick", action="store_true", help="1000 images per folder")
    parser.add_argument("--dcgan-steps", type=int, default=3)
    parser.add_argument("--width", type=int, default=None, help="dcgan width (default: its own)")
    parser.add_argument("--work", default=None, help="folder for the images (default: temp)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    count = args.count or (1000 if args.quick else 10_000)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="ganzoo-data-bench-"))
    before = load_line()
    try:
        results = measure(count, work, args.dcgan_steps, args.width)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    flags = ["--quick" if args.quick else ""]
    if args.count:
        flags.append(f"--count {args.count}")
    cmd = command("benchmarks.data_pipeline", *flags)
    publish("data-pipeline", table(results, count, cmd, (before, load_line())), not args.no_write)
    return results


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
