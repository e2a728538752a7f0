"""tools/build_zoo.py on a tiny recipe: K seeds, the chosen checkpoint, the spread, the licence."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from support.tiny_recipe import tiny

from ganzoo.specs import ModelSpec

REPO = Path(__file__).resolve().parents[2]


def build_zoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The build script with every file it writes moved under ``tmp_path``."""
    spec = importlib.util.spec_from_file_location("build_zoo", REPO / "tools" / "build_zoo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, path in {
        "RECIPES": tmp_path / "recipes",
        "WEIGHTS": tmp_path / "weights",
        "ZOO": tmp_path / "zoo.json",
        "DOCS_IMG": tmp_path / "img",
        "DOCS_MODELS": tmp_path / "models.md",
        "PACKAGE": tmp_path,  # bundled paths are relative to it
    }.items():
        monkeypatch.setattr(module, name, path)
    (tmp_path / "recipes").mkdir()
    (tmp_path / "weights").mkdir()
    (tmp_path / "recipes" / "tiny-dcgan.yaml").write_text(yaml.safe_dump(tiny()))
    return module


@pytest.mark.slow
def test_build_trains_seeds_chooses_and_records_the_spread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ganzoo.building import architecture_spec, build_architecture
    from ganzoo.metrics import evaluate
    from ganzoo.weights import load_module_file

    bz = build_zoo(tmp_path, monkeypatch)
    entry = bz.build("tiny-dcgan", tmp_path / "runs", None, seeds=2, select_n=100, eval_n=500)
    spec = ModelSpec(**json.loads((tmp_path / "zoo.json").read_text())["models"][0])
    assert spec.name == "tiny-dcgan" and spec.license == "Apache-2.0"
    assert spec.reproduce == "ganzoo reproduce tiny-dcgan --seeds 2 --check"
    assert spec.recipe == "pretrained/recipes/tiny-dcgan.yaml"
    sel = spec.selection
    assert sel is not None and sel.metric == "score" and sel.steps == (1, 2)
    assert sel.chosen_step in (1, 2) and sel.n == 100 and sel.seed == 1
    assert "mnist train split" in sel.reference
    sp = spec.spread
    assert sp is not None and sp.seeds == (0, 1) and sp.shipped_seed == 0
    assert set(sp.band) == set(spec.metrics)
    for key, value in spec.metrics.items():  # the shipped weights are seed 0's
        assert sp.values[key][0] == pytest.approx(value, abs=1e-4)
        low, high = sp.band[key]
        assert low <= sp.mean[key] <= high
    protocol = spec.training["protocol"]
    assert protocol["n"] == 500 and spec.training["seed"] == 0
    assert spec.training["amp"] == "none"  # the run's resolved autocast, which the page names
    assert protocol["reference_split"] == "test" and protocol["selection_data"] == sel.reference
    assert (tmp_path / "runs" / "tiny-dcgan" / "seed-1" / "best-checkpoint").is_dir()
    page = (tmp_path / "models.md").read_text()
    assert f"Checkpoint: step {sel.chosen_step}, the best by score" in page
    assert "Over training seeds 0, 1" in page and " ± " in page
    assert "Licence of the weights: Apache-2.0" in page
    assert entry["weights"][0]["sha256"] == spec.weights[0].sha256
    # the chosen checkpoint's discriminator is pinned for fine-tuning, Hub-only (zoo_parts)
    assert [(w.role, bool(w.bundled)) for w in spec.weights] == [
        ("generator", True),
        ("discriminator", False),
    ]
    hub_d = tmp_path / "runs" / "tiny-dcgan" / "hub" / "checkpoint" / "discriminator.safetensors"
    best_d = tmp_path / "runs" / "tiny-dcgan" / "seed-0" / "best-checkpoint"
    assert hub_d.read_bytes() == (best_d / "discriminator.safetensors").read_bytes()
    # the figures are the shipped file's: rounded to fp16 and loaded, it scores the card
    model = build_architecture(architecture_spec("dcgan"), data="mnist", **entry["config"])
    load_module_file(model.generator, tmp_path / "weights" / "tiny-dcgan.generator.safetensors")
    assert entry["training"]["dtype"] == "float16"
    result = evaluate(model.eval(), n=500, seed=0)
    for key, value in spec.metrics.items():
        assert result.metrics[key] == pytest.approx(value, abs=1e-3), key
    # a build that cannot reach the Hub pins the bundled generator alone (the runs are reused)
    bz.build(
        "tiny-dcgan", tmp_path / "runs", None, seeds=2, select_n=100, eval_n=500, hub_parts=False
    )
    spec = ModelSpec(**json.loads((tmp_path / "zoo.json").read_text())["models"][0])
    assert [(w.role, bool(w.bundled)) for w in spec.weights] == [("generator", True)]


def test_checkpoints_are_chosen_as_the_current_card_says_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ganzoo.zoo.selection import SelectionSettings

    bz = build_zoo(tmp_path, monkeypatch)
    assert bz.selection_settings("tiny-dcgan", "mnist") == SelectionSettings("score", n=2000)
    card = {"name": "tiny-dcgan", "selection": {"metric": "kl", "n": 10_000}}
    (tmp_path / "zoo.json").write_text(json.dumps({"models": [card]}))
    chosen = bz.selection_settings("tiny-dcgan", "mnist")
    assert (chosen.metric, chosen.n) == ("kl", 10_000)  # a rebuild chooses as the card did
    chosen = bz.selection_settings("tiny-dcgan", "mnist", metric="modes")
    assert (chosen.metric, chosen.n) == ("modes", 2000)  # the card's n was for another metric
    chosen = bz.selection_settings("tiny-dcgan", "mnist", n=500)
    assert (chosen.metric, chosen.n) == ("kl", 500)
    assert bz.selection_settings("other", "mnist").metric == "score"
    card["selection"]["limits"] = {"modes": 10}
    (tmp_path / "zoo.json").write_text(json.dumps({"models": [card]}))
    assert bz.selection_settings("tiny-dcgan", "mnist").limits == {"modes": 10.0}  # kept
    assert bz.selection_settings("tiny-dcgan", "mnist", limits={}).limits == {}  # unless told
    assert bz.selection_settings("tiny-dcgan", "mnist", metric="score").limits == {}


def test_select_limit_options_are_read_or_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bz = build_zoo(tmp_path, monkeypatch)
    assert bz.parse_limits(None) is None
    assert bz.parse_limits(["kl=0.02", " modes = 10"]) == {"kl": 0.02, "modes": 10.0}
    for bad in ("kl", "kl=low", "kl=nan"):
        with pytest.raises(SystemExit, match=r"write KEY=NUMBER, e\.g\. kl=0\.02"):
            bz.parse_limits([bad])
    with pytest.raises(SystemExit, match=r"'sharp=1'.*no known direction"):
        bz.main(["tiny-dcgan", "--select-limit", "sharp=1"])


def test_build_refuses_bad_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bz = build_zoo(tmp_path, monkeypatch)
    with pytest.raises(SystemExit, match="--seeds, --jobs and --select-n must be at least 1"):
        bz.main(["tiny-dcgan", "--seeds", "0"])
    with pytest.raises(SystemExit, match="no recipe 'tiny-dcgn'"):
        bz.main(["tiny-dcgn"])


@pytest.mark.slow
def test_only_seed_trains_one_seed_that_a_later_build_reuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bz = build_zoo(tmp_path, monkeypatch)
    runs = tmp_path / "runs"
    argv = ["tiny-dcgan", "--only-seed", "1", "--runs-dir", str(runs), "--select-n", "100"]
    bz.main([*argv, "--eval-n", "500"])
    assert "tiny-dcgan seed 1 (step " in capsys.readouterr().out
    seed_dir = runs / "tiny-dcgan" / "seed-1"
    assert json.loads((seed_dir / "run.json").read_text())["status"] == "finished"
    assert (seed_dir / "best-checkpoint").is_dir()
    assert not (tmp_path / "zoo.json").exists()  # no card: one seed alone writes nothing else
    assert not (runs / "tiny-dcgan" / "seed-0").exists()
    trained = (seed_dir / "metrics.jsonl").read_text()
    bz.build("tiny-dcgan", runs, None, seeds=2, select_n=100, eval_n=500, hub_parts=False)
    assert (seed_dir / "metrics.jsonl").read_text() == trained  # reused, not trained again
    spread = json.loads((tmp_path / "zoo.json").read_text())["models"][0]["spread"]
    assert spread["seeds"] == [0, 1]


def test_a_cards_section_names_its_recipe_and_the_recipes_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bz = build_zoo(tmp_path, monkeypatch)
    recipe = tmp_path / "recipes" / "tiny-dcgan.yaml"
    recipe.write_text("# Why: a tiny recipe.\n#\n# Measured: nothing.\n" + recipe.read_text())
    card = {"name": "tiny-dcgan", "recipe": "recipes/tiny-dcgan.yaml"}
    docs = bz.sibling("zoo_docs")  # the page renderer, recipe paths under the package folder
    assert docs.recipe_lines(card, tmp_path) == [
        "- Recipe `ganzoo/recipes/tiny-dcgan.yaml`: Why: a tiny recipe. Measured: nothing."
    ]
    assert docs.recipe_lines({"name": "gone", "recipe": "recipes/gone.yaml"}, tmp_path) == []


def test_a_card_trained_under_autocast_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = build_zoo(tmp_path, monkeypatch).sibling("zoo_docs")
    assert docs.amp_note({"amp": "bf16"}) == ", bf16 autocast"
    assert docs.amp_note({"amp": "none"}) == ""
    assert docs.amp_note({}) == ""  # cards built before the field: fp32


def test_the_shipped_generators_role_says_whether_it_is_the_ema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    bz = build_zoo(tmp_path, monkeypatch)
    best = tmp_path / "run" / "best-checkpoint"
    best.mkdir(parents=True)
    chosen = SimpleNamespace(run_dir=tmp_path / "run", selection=object())
    # a checkpoint chosen before the run's EMA started (ema_start) holds G alone
    assert bz.shipped_role(chosen, 0.999) == "generator"
    (best / "ema_generator.safetensors").write_bytes(b"")
    assert bz.shipped_role(chosen, 0.999) == "ema_generator"
    last = SimpleNamespace(run_dir=tmp_path / "run", selection=None)
    assert bz.shipped_role(last, 0.999) == "ema_generator"
    assert bz.shipped_role(last, None) == "generator"


def test_a_cards_section_shows_the_limits_and_each_checkpoints_value_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card_lines = build_zoo(tmp_path, monkeypatch).sibling("zoo_docs").card_lines

    sel = {
        "metric": "score", "higher_is_better": True, "steps": [1000, 2000], "values": [8.9, 8.8],
        "chosen_step": 2000, "n": 2000, "seed": 1, "reference": "set-aside images",
        "limits": {"kl": 0.02}, "limit_values": {"kl": [0.033, 0.006]},
    }  # fmt: skip
    line = card_lines({"selection": sel})[0]
    assert line.startswith(
        "- Checkpoint: step 2000, the best by score (higher is better) among those with "
        "kl <= 0.02 of the checkpoints at steps 1000, 2000 (kl 0.033, 0.006), each scored"
    )


def test_a_ganzoo_error_is_one_line_and_an_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bz = build_zoo(tmp_path, monkeypatch)
    recipe = tiny()
    recipe["architecture"] = "dcgna"
    (tmp_path / "recipes" / "bad.yaml").write_text(yaml.safe_dump(recipe))
    assert bz.run(["bad", "--runs-dir", str(tmp_path / "runs")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "dcgna" in err and "dcgan" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
