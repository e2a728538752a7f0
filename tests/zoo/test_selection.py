"""Best checkpoint, honestly chosen: the better checkpoint is kept, on data that is not the test split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.tiny_recipe import tiny

from ganzoo.building import build_entry
from ganzoo.errors import ConfigError
from ganzoo.training.checkpoint import read_manifest
from ganzoo.zoo import selection as sel
from ganzoo.zoo.seeds import seed_config, train_run
from ganzoo.zoo.selection import (
    BEST_DIR,
    BestCheckpoint,
    MetricScorer,
    SelectionSettings,
    finish,
    selection_reference,
)


class Stub:
    """A scorer that hands out given values in turn and counts its calls."""

    reference = "stub data"

    def __init__(self, *values: float) -> None:
        self.values, self.calls = list(values), 0

    def __call__(self, model: object) -> float:
        self.calls += 1
        return self.values.pop(0)


@pytest.mark.parametrize(
    ("metric", "values", "chosen"),
    [("score", (5.0, 1.0), 1), ("score", (1.0, 5.0), 2), ("fid", (5.0, 1.0), 2)],
)
def test_the_better_of_two_checkpoints_is_kept(
    tmp_path: Path, metric: str, values: tuple[float, float], chosen: int
) -> None:
    settings = SelectionSettings(metric, n=10, reference_size=10)
    stub = Stub(*values)
    run = tmp_path / "run"
    train_run(seed_config(tiny(), 0, run, None), [BestCheckpoint(settings, stub, stub.reference)])
    assert stub.calls == 2  # one score per checkpoint, during training
    record = finish(run, settings, stub, stub.reference)
    assert stub.calls == 2  # finish scores nothing twice
    assert record.steps == (1, 2) and record.values == values and record.chosen_step == chosen
    assert record.metric == metric and record.reference == "stub data"
    best = run / BEST_DIR
    assert read_manifest(best)["step"] == chosen
    kept = run / "checkpoints" / f"step-{chosen:07d}" / "generator.safetensors"
    assert (best / "generator.safetensors").read_bytes() == kept.read_bytes()


def test_finish_scores_a_run_trained_without_selection(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train_run(seed_config(tiny(), 0, run, None), [])
    stub = Stub(2.0, 3.0)
    record = finish(run, SelectionSettings("score", n=10), stub, stub.reference)
    assert stub.calls == 2 and record.chosen_step == 2


def test_scoring_checkpoints_leaves_training_unchanged(tmp_path: Path) -> None:
    settings = SelectionSettings("score", n=100, reference_size=500)
    scorer = MetricScorer(settings, "mnist", {"limit": 256}, None)
    with_sel, without = tmp_path / "with", tmp_path / "without"
    train_run(seed_config(tiny(), 0, with_sel, None), [BestCheckpoint(settings, scorer, "x")])
    train_run(seed_config(tiny(), 0, without, None), [])
    for name in ("generator.safetensors", "discriminator.safetensors"):
        a = (with_sel / "checkpoints" / "step-0000002" / name).read_bytes()
        assert a == (without / "checkpoints" / "step-0000002" / name).read_bytes()
    assert (with_sel / sel.SELECTION_FILE).is_file()


def test_selection_data_is_the_end_of_the_train_split(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict] = []
    real_build = sel.build_entry

    def spy(name: str, **kw: object) -> object:
        calls.append(kw)
        return real_build(name, **kw)

    monkeypatch.setattr(sel, "build_entry", spy)
    real, where = selection_reference("mnist", {"limit": 256}, None, 1000)
    assert calls and all(kw.get("train") is True for kw in calls)  # never the test split
    assert "limit" not in calls[0]  # the whole train split, not the run's first 256 images
    assert where == "mnist train split, images 59000-59999 (of 60000)"
    assert real.x.equal(build_entry("mnist", train=True).x[-1000:])
    scorer = MetricScorer(SelectionSettings("score", n=100, reference_size=1000), "mnist", {}, None)
    assert scorer.entries == ["score"] and "compared with 500 of them" in scorer.reference


def test_unknown_selection_metric_fails_before_training() -> None:
    with pytest.raises(Exception, match="no known direction"):
        SelectionSettings("mystery")


def test_a_longer_recipe_extends_the_finished_run_and_scores_its_new_checkpoints(
    tmp_path: Path,
) -> None:
    longer = tiny(steps=4, lr_schedule="linear", lr_decay_start=2)
    fresh = tmp_path / "fresh"
    train_run(seed_config(longer, 0, fresh, None), [])
    run = tmp_path / "run"
    settings = SelectionSettings("score", n=10, reference_size=10)
    stub = Stub(1.0, 2.0, 4.0, 3.0)
    train_run(seed_config(tiny(), 0, run, None), [BestCheckpoint(settings, stub, stub.reference)])
    train_run(seed_config(longer, 0, run, None), [BestCheckpoint(settings, stub, stub.reference)])
    record = finish(run, settings, stub, stub.reference)
    assert record.steps == (1, 2, 3, 4) and record.chosen_step == 3 and stub.calls == 4
    for name in ("generator.safetensors", "discriminator.safetensors"):
        a = (run / "checkpoints" / "step-0000004" / name).read_bytes()
        assert a == (fresh / "checkpoints" / "step-0000004" / name).read_bytes()


def test_a_recipe_that_changes_the_runs_first_steps_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train_run(seed_config(tiny(), 0, run, None), [])
    # the decay would have started inside the finished run: not its extension
    with pytest.raises(ConfigError, match="another recipe"):
        train_run(
            seed_config(tiny(steps=4, lr_schedule="linear", lr_decay_start=1), 0, run, None), []
        )


def test_a_recipe_that_only_logs_or_samples_otherwise_keeps_the_finished_run(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    train_run(seed_config(tiny(), 0, run, None), [])
    before = (run / "run.json").read_text()
    relabelled = tiny(sample_every=7, log_every=3, keep_checkpoints=5, num_samples=9)
    train_run(seed_config(relabelled, 0, tmp_path / "moved", None), [])  # a fresh folder trains
    train_run(seed_config(relabelled, 0, run, None), [])
    assert (run / "run.json").read_text() == before  # kept as it was: not trained again
    with pytest.raises(ConfigError, match="checkpoint_every"):
        train_run(seed_config(tiny(checkpoint_every=7), 0, run, None), [])


def test_an_amp_auto_recipe_keeps_the_run_that_resolved_it(tmp_path: Path) -> None:
    from ganzoo.training.rundir import read_run_config

    run = tmp_path / "run"
    train_run(seed_config(tiny(amp="auto"), 0, run, None), [])
    resolved = read_run_config(run).amp  # what auto chose on this machine
    assert resolved in ("bf16", "none")
    before = (run / "run.json").read_text()
    train_run(seed_config(tiny(amp="auto"), 0, run, None), [])
    assert (run / "run.json").read_text() == before  # the same recipe's run: kept
    other = "none" if resolved == "bf16" else "bf16"
    with pytest.raises(ConfigError, match="amp"):
        train_run(seed_config(tiny(amp=other), 0, run, None), [])


def test_the_checkpoint_of_a_stopped_run_is_no_candidate(tmp_path: Path) -> None:
    """A stop (Ctrl-C, SIGTERM, a diagnostic) saves a checkpoint off the recipe's schedule; an
    uninterrupted run of the recipe has none there, so it is neither scored nor chosen."""
    from ganzoo.training.callbacks import Callback

    class StopAt3(Callback):
        def on_step(self, trainer, record) -> None:
            if record.step >= 3:
                trainer.request_stop("test")

    run = tmp_path / "run"
    recipe = seed_config(tiny(steps=4, checkpoint_every=2, keep_checkpoints=5), 0, run, None)
    settings = SelectionSettings("score", n=10, reference_size=10)
    stub = Stub(1.0, 2.0, 9.0)
    train_run(recipe, [BestCheckpoint(settings, stub, stub.reference), StopAt3()])
    assert (run / "checkpoints" / "step-0000003").is_dir() and stub.calls == 1
    assert not sel.on_schedule(run, 3) and sel.on_schedule(run, 2) and sel.on_schedule(run, 4)
    train_run(recipe, [BestCheckpoint(settings, stub, stub.reference)])
    record = finish(run, settings, stub, stub.reference)
    assert record.steps == (2, 4) and record.chosen_step == 4 and stub.calls == 2


class DictStub(Stub):
    """A scorer that hands out given value mappings in turn (the metric's and limited keys')."""

    def __call__(self, model: object) -> dict[str, float]:  # type: ignore[override]
        self.calls += 1
        return self.values.pop(0)  # type: ignore[return-value]


FOUR = {"steps": 4, "keep_checkpoints": 5}
"""The tiny recipe at 4 steps, a checkpoint each, all kept."""


def test_a_limit_chooses_the_best_checkpoint_that_meets_it(tmp_path: Path) -> None:
    settings = SelectionSettings("score", n=10, reference_size=10, limits={"kl": 0.02})
    stub = DictStub(
        {"score": 5.0, "kl": 0.10},
        {"score": 3.0, "kl": 0.01},
        {"score": 4.0, "kl": 0.02},  # on the bound: meets it
        {"score": 6.0, "kl": 0.05},
    )
    run = tmp_path / "run"
    train_run(seed_config(tiny(**FOUR), 0, run, None), [BestCheckpoint(settings, stub, "x")])
    record = finish(run, settings, stub, "x")
    assert record.chosen_step == 3 and record.values == (5.0, 3.0, 4.0, 6.0)
    assert record.limits == {"kl": 0.02} and record.limit_values == {"kl": (0.1, 0.01, 0.02, 0.05)}
    assert read_manifest(run / BEST_DIR)["step"] == 3 and record.chosen_meets_limits()
    assert record.rule() == "the best by score (higher is better) among those with kl <= 0.02"
    assert SelectionSettings.from_card(record) == settings  # ganzoo reproduce chooses the same way


def test_without_a_checkpoint_that_meets_the_limits_the_best_of_all_is_chosen(
    tmp_path: Path,
) -> None:
    settings = SelectionSettings("fid", n=10, reference_size=10, limits={"modes": 10})
    stub = DictStub({"fid": 9.0, "modes": 9}, {"fid": 7.0, "modes": 8})
    run = tmp_path / "run"
    train_run(seed_config(tiny(), 0, run, None), [BestCheckpoint(settings, stub, "x")])
    record = finish(run, settings, stub, "x")
    assert record.chosen_step == 2 and record.limit_values == {"modes": (9.0, 8.0)}
    assert not record.chosen_meets_limits()
    assert record.rule() == "the best by fid (lower is better), as none met modes >= 10,"


def test_a_scorer_that_gives_no_value_for_a_limited_key_is_refused(tmp_path: Path) -> None:
    settings = SelectionSettings("score", n=10, reference_size=10, limits={"kl": 0.02})
    run = tmp_path / "run"
    with pytest.raises(ConfigError, match="no value for kl"):
        train_run(seed_config(tiny(), 0, run, None), [BestCheckpoint(settings, Stub(1.0), "x")])


def test_a_run_scored_without_limits_is_not_chosen_again_with_them(tmp_path: Path) -> None:
    run = tmp_path / "run"
    plain = SelectionSettings("score", n=10, reference_size=10)
    train_run(seed_config(tiny(), 0, run, None), [BestCheckpoint(plain, Stub(1.0, 2.0), "x")])
    saved = (run / sel.SELECTION_FILE).read_text()
    assert '"limits"' not in saved and '"limited"' not in saved  # as files written before limits
    assert finish(run, plain, Stub(), "x").chosen_step == 2  # read back, nothing scored again
    limited = SelectionSettings("score", n=10, reference_size=10, limits={"kl": 0.02})
    with pytest.raises(ConfigError, match="delete it and best-checkpoint/"):
        finish(run, limited, DictStub(), "x")


@pytest.mark.parametrize(
    ("limits", "match"),
    [({"sharpness": 1.0}, "no known direction"), ({"kl": float("nan")}, "finite number")],
)
def test_bad_limits_fail_before_training(limits: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        SelectionSettings("score", limits=limits)


def test_the_metric_scorer_measures_the_limited_keys_on_the_same_samples() -> None:
    import ganzoo

    settings = SelectionSettings("score", n=64, reference_size=200, limits={"kl": 0.5})
    scorer = MetricScorer(settings, "mnist", {}, None)
    assert scorer.entries == ["score", "modes"]  # kl comes from the modes metric
    values = scorer(ganzoo.build("dcgan", data="mnist", width=8, latent_dim=16))
    assert set(values) == {"score", "kl"} and values["kl"] >= 0 and 1 <= values["score"] <= 10


def test_an_interrupted_seed_says_to_run_the_same_command_again_and_that_resumes(
    tmp_path: Path,
) -> None:
    """A real SIGINT mid-run: the checkpoint is saved, the line says how a reproduction or zoo
    build resumes (not ``ganzoo train --resume``), and training the seed again finishes it."""
    import os
    import signal

    from ganzoo.training.callbacks import Callback
    from ganzoo.training.interrupts import RunInterrupted

    class CtrlCAt2(Callback):
        def on_step(self, trainer, record) -> None:
            if record.step == 2:
                os.kill(os.getpid(), signal.SIGINT)

    run = tmp_path / "run"
    recipe = seed_config(tiny(**FOUR), 0, run, None)
    with pytest.raises(RunInterrupted) as caught:
        train_run(recipe, [CtrlCAt2()])
    assert caught.value.exit_code == 130
    assert str(caught.value) == (
        f"interrupted by SIGINT at step 2 of 4; checkpoint saved in {run}. Run the same command "
        "again to resume it"
    )
    train_run(recipe, [])
    assert json.loads((run / "run.json").read_text())["status"] == "finished"


def test_a_checkpoint_that_scored_nan_is_never_chosen_over_a_number(tmp_path: Path) -> None:
    settings = SelectionSettings("fid", n=10, reference_size=10)
    stub = Stub(float("nan"), 40.0)  # a diverged first checkpoint, then a poor but real one
    run = tmp_path / "run"
    train_run(seed_config(tiny(), 0, run, None), [BestCheckpoint(settings, stub, "x")])
    assert finish(run, settings, stub, "x").chosen_step == 2
    assert read_manifest(run / BEST_DIR)["step"] == 2
