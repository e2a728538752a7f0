"""The GPU benchmark's code paths on the CPU: a recipe timed at its own settings, the tables
rendered from figures (each run's length following the recipe as committed), and ``--from-json``
re-rendering a saved run without touching the docs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the benchmarks package

from benchmarks import gpu
from benchmarks.report import DOC


@pytest.mark.usefixtures("mnist_root")
def test_recipe_rows_time_a_recipe_at_its_own_settings() -> None:
    rows = gpu.recipe_rows(torch.device("cpu"), steps=1, rounds=1, warmup=0, names=["gan-mnist"])
    assert list(rows) == ["gan-mnist"]
    row = rows["gan-mnist"]
    assert row["amp"] == "none"  # the recipe sets no amp
    assert row["images_per_step"] == 64  # batch 64, one D update per G update
    assert row["batch_size"] == 64
    assert row["images_per_second"] > 0


def figures() -> dict:
    return {
        "device": "a test device",
        "command": "python -m benchmarks.gpu --steps 1",
        "step": {"dcgan/MNIST b64": {"textbook": 100.0, "ganzoo": 150.0, "ganzoo bf16": 120.0}},
        "recipes": {
            "gan-mnist": {
                "amp": "none",
                "batch_size": 64,
                "images_per_step": 64,
                "images_per_second": 6400.0,
            }
        },
    }


def test_tables_render_the_figures_with_the_recipes_current_length() -> None:
    step = "\n".join(gpu.step_table(figures()))
    assert "| dcgan/MNIST b64 | 100 | 150 | 120 | 1.50x |" in step
    recipes = "\n".join(gpu.recipe_table(figures()))
    steps, _ = gpu.recipe_length("gan-mnist")
    minutes = steps * 64 / 6400 / 60  # 100 steps a second
    assert f"| gan-mnist | none | {steps:,} | 6,400 | {minutes:.1f} |" in recipes


def test_a_rate_measured_at_another_batch_gives_no_run_time() -> None:
    saved = figures()
    saved["recipes"]["gan-mnist"]["batch_size"] = 32  # the recipe's is 64
    recipes = "\n".join(gpu.recipe_table(saved))
    steps, _ = gpu.recipe_length("gan-mnist")
    row = f"| gan-mnist | none | {steps:,} | 6,400 at batch 32 (the recipe's is now 64: not measured) | - |"
    assert row in recipes


def test_from_json_renders_a_saved_run_without_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "gpu.json"
    saved.write_text(json.dumps(figures()))
    before = DOC.read_text()
    out = gpu.main(["--from-json", str(saved), "--no-write"])
    assert out == figures()
    printed = capsys.readouterr().out
    assert "## Training step on a GPU" in printed and "## The bundled recipes on a GPU" in printed
    assert DOC.read_text() == before


def test_from_json_names_the_rows_a_stale_file_lacks(tmp_path: Path) -> None:
    stale = figures()
    del stale["recipes"]["gan-mnist"]["batch_size"]  # saved before the batch was recorded
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps(stale))
    with pytest.raises(
        SystemExit, match=r"old\.json: the recipe rows gan-mnist have no batch_size"
    ):
        gpu.main(["--from-json", str(saved), "--no-write"])
