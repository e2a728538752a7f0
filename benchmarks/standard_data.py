"""CelebA's decode-once path on synthetic files in CelebA's own format (no download needed).

``python -m benchmarks.standard_data [--images N] [--threads T]`` writes N aligned-CelebA-shaped
JPEGs (178x218, quality 95, smooth random colour fields) with a ``list_eval_partition.txt`` into a
temporary folder, then times ``ganzoo.build("celeba")`` twice: the first build decodes, crops
(108 px), resizes to 64x64 and writes the memory-mapped cache; the second reads that cache. It
prints images/s for both and the cache's size. Prints only; docs/datasets.md quotes a run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def write_celeba(root: Path, n: int, seed: int = 0) -> None:
    """``n`` 178x218 JPEGs and a partition file under ``root/celeba``."""
    rng = np.random.default_rng(seed)
    folder = root / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    for i in range(n):
        small = rng.integers(0, 256, size=(14, 12, 3), dtype=np.uint8)  # smooth once upscaled
        im = Image.fromarray(small).resize((178, 218), Image.Resampling.BILINEAR)
        im.save(folder / f"{i + 1:06d}.jpg", quality=95)
    lines = [f"{i + 1:06d}.jpg 0" for i in range(n)]
    (root / "celeba" / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    """Write the files, build twice, print the rates."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.standard_data", description=__doc__)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (OMP_NUM_THREADS)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    import ganzoo

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_celeba(root, args.images)
        options = {"root": str(root), "cache_dir": str(root / "cache")}
        t0 = time.perf_counter()
        first = ganzoo.build("celeba", **options)
        t1 = time.perf_counter()
        second = ganzoo.build("celeba", **options)
        _ = np.asarray(second.x).max()  # touch every cached byte
        t2 = time.perf_counter()
        size = sum(p.stat().st_size for p in (root / "cache").glob("*.npy"))
        assert torch.equal(first.x, second.x)
    n = args.images
    print(
        f"celeba, {n} images 178x218 -> 64x64: first build (decode + cache) "
        f"{t1 - t0:.2f} s ({n / (t1 - t0):,.0f} img/s); second build (from the cache) "
        f"{t2 - t1:.3f} s ({n / (t2 - t1):,.0f} img/s); cache {size / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
