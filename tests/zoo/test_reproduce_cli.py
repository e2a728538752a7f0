"""``ganzoo reproduce`` as a user runs it: a card's recipe trained, evaluated, checked against its band."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import plugin_dists as pd
from support.tiny_recipe import tiny

from ganzoo.pretrained.catalog import ZOO_FILE

PLUGIN = """
import json
from pathlib import Path

from ganzoo import hookimpl
from ganzoo.specs import ModelSpec


@hookimpl
def register_models(register):
    for card in json.loads(Path(__file__).with_name("cards.json").read_text()):
        register(ModelSpec(**card))
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ganzoo", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


SELECTION = {
    "metric": "score", "higher_is_better": True, "steps": [2], "values": [1.0], "chosen_step": 2,
    "n": 100, "seed": 1, "reference": "x", "reference_size": 500,
}  # fmt: skip


def card(name: str, recipe: Path, band: dict[str, list[float]]) -> dict:
    """A card like dcgan-mnist's, with a tiny recipe, a 500-sample protocol and ``band``."""
    base = next(m for m in json.loads(ZOO_FILE.read_text())["models"] if m["name"] == "dcgan-mnist")
    protocol = {**base["training"]["protocol"], "n": 500}
    return {
        **base,
        "name": name,
        "recipe": str(recipe),
        "training": {**base["training"], "protocol": protocol},
        "selection": SELECTION,
        "spread": {
            "seeds": [0, 1, 2],
            "shipped_seed": 0,
            "mean": {k: sum(v) / 2 for k, v in band.items()},
            "std": {k: 0.0 for k in band},
            "band": band,
            "band_rule": "test",
        },
    }


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(yaml.safe_dump(tiny()))
    cards = [
        card("tiny-pass", recipe, {"score": [0.5, 10.5], "modes": [0.0, 11.0]}),
        card("tiny-fail", recipe, {"score": [9.0, 10.0], "modes": [0.0, 11.0]}),
        {**card("tiny-one-seed", recipe, {}), "spread": None},  # built from one seed: no band
    ]
    root = pd.make_plugin(tmp_path / "plugin", "ganzoo-tiny-cards", "tiny", "ganzoo_tiny", PLUGIN)
    (root / "cards.json").write_text(json.dumps(cards))
    return {"PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}


@pytest.mark.slow
def test_check_passes_inside_the_band_and_fails_outside(
    tmp_path: Path, plugin_env: dict[str, str]
) -> None:
    out = tmp_path / "runs"
    ok = run("reproduce", "tiny-pass", "--check", "--out", str(out), "-q", env=plugin_env)
    assert ok.returncode == 0, ok.stderr
    assert "check passed" in ok.stdout
    for row in ("seed 0", "mean", "card", "band"):
        assert row in ok.stdout
    assert "checkpoints chosen by score (n=100, seed 1) on mnist train split" in ok.stdout
    assert (out / "seed-0" / "best-checkpoint").is_dir()
    # the same recipe and selection: the finished run is reused, only the band differs; here
    # from tools/build_zoo.py's layout (--runs-dir above the model's name)
    zoo = tmp_path / "zoo"
    shutil.copytree(out, zoo / "tiny-fail")
    bad = run("reproduce", "tiny-fail", "--check", "--out", str(zoo), "--json", env=plugin_env)
    assert bad.returncode == 1, bad.stderr
    assert f"using {zoo / 'tiny-fail'}" in bad.stderr and not (zoo / "seed-0").exists()
    data = json.loads(bad.stdout)
    score = data["seeds"][0]["metrics"]["score"]
    assert data["mean"]["score"] == pytest.approx(score)
    line = f"score {score:.4g} is below its band [9, 10] by {9 - score:.4g}"
    assert data["outside_band"] == [line]
    assert f"outside the band: {line}" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_reproduce_refuses_before_training(plugin_env: dict[str, str], tmp_path: Path) -> None:
    unknown = run("reproduce", "dcgan-mnst")
    assert unknown.returncode != 0 and "did you mean 'dcgan-mnist'" in unknown.stderr
    # a card built from one seed has no band to check against (every bundled card has one now)
    no_band = run(
        "reproduce", "tiny-one-seed", "--check", "--out", str(tmp_path / "r"), env=plugin_env
    )
    assert no_band.returncode != 0
    assert "has no tolerance band" in no_band.stderr
    assert "tools/build_zoo.py --seeds 3 tiny-one-seed" in no_band.stderr
    other_n = run("reproduce", "tiny-pass", "--check", "-n", "100", env=plugin_env)
    assert other_n.returncode != 0 and "--check compares with the card's protocol" in other_n.stderr
    assert not (tmp_path / "r").exists()


def test_a_build_zoo_runs_dir_is_told_from_a_folder_of_seed_runs(tmp_path: Path) -> None:
    from ganzoo.zoo.reproduce import is_runs_dir_of

    (tmp_path / "zoo" / "m" / "seed-0").mkdir(parents=True)
    assert not is_runs_dir_of(tmp_path / "zoo", "m")  # a folder, not a run: no config.json
    (tmp_path / "zoo" / "m" / "seed-0" / "config.json").write_text("{}")
    assert is_runs_dir_of(tmp_path / "zoo", "m")
    assert not is_runs_dir_of(tmp_path / "zoo", "other")
    assert not is_runs_dir_of(tmp_path / "zoo" / "m", "m")  # the seed runs' own folder
    (tmp_path / "zoo" / "seed-0").mkdir()
    (tmp_path / "zoo" / "seed-0" / "config.json").write_text("{}")
    assert not is_runs_dir_of(tmp_path / "zoo", "m")  # runs of its own: --out means it


@pytest.mark.slow
def test_jobs_train_the_seeds_side_by_side_as_one_process_would(
    tmp_path: Path, plugin_env: dict[str, str]
) -> None:
    """``--jobs 2``: two worker processes at 1 thread each give each seed the figures a run of
    the seeds one after another at 1 thread gives."""
    common = ("reproduce", "tiny-pass", "--seeds", "2", "--json")
    alone = run(*common, "--threads", "1", "--out", str(tmp_path / "a"), "-q", env=plugin_env)
    assert alone.returncode == 0, alone.stderr
    both = run(
        *common, "--threads", "2", "--jobs", "2", "--out", str(tmp_path / "b"), env=plugin_env
    )
    assert both.returncode == 0, both.stderr
    one, two = json.loads(alone.stdout), json.loads(both.stdout)
    assert [s["seed"] for s in two["seeds"]] == [0, 1]
    assert [s["metrics"] for s in two["seeds"]] == [s["metrics"] for s in one["seeds"]]
    assert two["seeds"][0]["metrics"] != two["seeds"][1]["metrics"]  # the seeds differ
    assert "Traceback" not in both.stderr
    for seed in (0, 1):
        assert (tmp_path / "b" / f"seed-{seed}" / "best-checkpoint").is_dir()


@pytest.mark.slow
def test_a_seed_failing_in_its_worker_is_named(tmp_path: Path, plugin_env: dict[str, str]) -> None:
    """A worker's ganzoo error names its seed; the other seed's run is trained and kept."""
    out = tmp_path / "runs"
    (out / "seed-1").mkdir(parents=True)
    (out / "seed-1" / "config.json").write_text(json.dumps({"architecture": "gan"}))
    bad = run(
        "reproduce", "tiny-pass", "--seeds", "2", "--jobs", "2", "--out", str(out), env=plugin_env
    )
    assert bad.returncode != 0
    assert "seed 1: " in bad.stderr and "holds a run of another recipe" in bad.stderr
    assert "[seed 0] step 2/2 " in bad.stderr  # the worker's progress, tagged with its seed
    assert "Traceback" not in bad.stderr
    assert (out / "seed-0" / "best-checkpoint").is_dir()
