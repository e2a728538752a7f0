"""Smoke test of the image-folder data benchmark: each measurement in-process on a tiny folder."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the benchmarks package

from benchmarks import data_pipeline as bench


def test_data_pipeline_measurements_and_table(tmp_path: Path) -> None:
    n = bench.BATCH  # one batch: the dcgan step needs that many images
    rgb = bench.make_folder(tmp_path / "rgb", n, 64, 3, "jpg")
    grey = bench.make_folder(tmp_path / "grey", n, 28, 1, "png")
    assert len(list(rgb.rglob("*.jpg"))) == n and len(list(rgb.iterdir())) == bench.CLASSES
    results = {}
    for name, folder, is_grey in (("28x28 grey PNG", grey, True), ("64x64 RGB JPEG", rgb, False)):
        cache = str(tmp_path / f"cache-{folder.name}")
        first_half = bench.first_pass(str(folder), cache, limit=n // 2)
        first = bench.first_pass(str(folder), cache)
        cached = bench.cached_epoch(str(folder), cache)
        assert first_half["images"] == n // 2 and first["images"] == n
        assert first["images_per_s"] > 0 and first["peak_mib"] >= first["base_mib"] > 0
        assert cached["batches"] == 1 and cached["shape"][0] == n and cached["batches_per_s"] > 0
        tv = bench.image_folder_epoch(str(folder), is_grey, workers=0)
        assert tv["batches"] == 1 and tv["shape"][1:] == first_shape(is_grey)
        results[name] = {
            "first_half": first_half,
            "first": first,
            "cached_half": bench.cached_epoch(str(folder), cache, limit=n // 2),
            "cached": cached,
            "imagefolder": tv,
        }
    results["dcgan"] = bench.dcgan_step(str(rgb), str(tmp_path / "cache-rgb"), steps=1, width=8)
    assert results["dcgan"]["shape"] == [3, 64, 64]
    assert 0 < results["dcgan"]["assembly_s"] < results["dcgan"]["step_s"]
    lines = bench.table(results, n, "python -m benchmarks.data_pipeline", ("load a", "load b"))
    text = "\n".join(lines)
    assert "| 64x64 RGB JPEG | 32 |" in text and "| 28x28 grey PNG | 64 |" in text
    assert "target < 5%" in text


def first_shape(grey: bool) -> list[int]:
    return [1, 28, 28] if grey else [3, 64, 64]
