"""Resuming (issue 17): what a resume may change, --from-step, resuming a run that saved no
checkpoint, a corrupt newest checkpoint, metrics rows a resume repeats, run.json segments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganzoo.errors import CheckpointError, ConfigError, TrainingError
from ganzoo.training.callbacks import Callback, MetricsLogger
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer

RING = {
    "architecture": "gan",
    "data": "ring-8",
    "data_options": {"size": 512},
    "architecture_options": {"g_hidden": [16], "d_hidden": [16], "dropout": 0.0},
    "batch_size": 16,
    "log_every": 5,
    "sample_every": 1000,
    "checkpoint_every": 10,
    "keep_checkpoints": 5,
    "diagnostics": [],
}


def cfg(out: Path, **kw) -> TrainConfig:
    return TrainConfig(**{**RING, "out": str(out), **kw})


def train(out: Path, resume: bool = False, **kw) -> Trainer:
    t = Trainer.create(
        cfg(out, **{k: v for k, v in kw.items() if k not in ("allow_changes", "from_step")}),
        resume=resume,
        allow_changes=kw.get("allow_changes", False),
        from_step=kw.get("from_step"),
    )
    t.callbacks.append(MetricsLogger(out / "metrics.jsonl"))
    return t


def weights(t: Trainer) -> dict[str, torch.Tensor]:
    return {
        **{f"G.{k}": v.clone() for k, v in t.G.state_dict().items()},
        **{f"D.{k}": v.clone() for k, v in t.D.state_dict().items()},
    }


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"batch_size": 8}, "batch_size 16 -> 8"),
        ({"seed": 3}, "seed 0 -> 3"),
        ({"data": "grid-25"}, 'data "ring-8" -> "grid-25"'),
        ({"loss": "hinge"}, 'loss "non-saturating" -> "hinge"'),
        ({"data_options": {"size": 1024}}, "data_options"),
        ({"architecture_options": {**RING["architecture_options"], "g_hidden": [8]}}, "architecture_options"),
        ({"optimizer": {"lr_g": 1e-3}}, "optimizer"),
    ],
    ids=["batch", "seed", "data", "loss", "data-options", "arch-options", "optimizer"],
)  # fmt: skip
def test_resume_refuses_changed_settings_naming_each(
    tmp_path: Path, change: dict, named: str
) -> None:
    out = tmp_path / "run"
    train(out, steps=10).run()
    before = (out / "config.json").read_text()
    with pytest.raises(ConfigError) as err:
        Trainer.create(cfg(out, steps=20, **change), resume=True)
    msg = str(err.value)
    assert named in msg and "--allow-changes" in msg and "\n" not in msg, msg
    assert (out / "config.json").read_text() == before
    # length, logging and where the data lives are free to change
    free = cfg(out, steps=20, log_every=2, data_options={"size": 512, "root": "/elsewhere"})
    Trainer.create(free, resume=True).close()


def test_allowed_changes_are_recorded_in_run_json(tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(out, steps=10).run()
    summary = train(out, resume=True, steps=20, batch_size=8, allow_changes=True).run()
    first, second = summary["segments"]
    assert "changes" not in first and first["resumed_from"] is None
    assert second["changes"] == {"batch_size": [16, 8]}
    assert second["resumed_from"] == "step-0000010" and second["from_step"] == 10
    assert json.loads((out / "config.json").read_text())["batch_size"] == 8
    warnings = [r for r in rows(out / "metrics.jsonl") if r["event"] == "warning"]
    assert warnings and "batch_size 16 -> 8" in warnings[0]["message"]


def test_from_step_resumes_an_earlier_checkpoint_and_moves_later_ones_aside(tmp_path: Path) -> None:
    straight = train(tmp_path / "straight", steps=30)
    straight.run()
    out = tmp_path / "run"
    train(out, steps=30).run()
    t = train(out, resume=True, from_step=10, steps=30)
    assert t.step == 10
    summary = t.run()
    assert_same(weights(t), weights(straight))  # the rewound run retrains steps 11-30 exactly
    moved = sorted(p.name[:12] for p in (out / "checkpoints" / "superseded").iterdir())
    assert moved == ["step-0000020", "step-0000030"]  # kept, not deleted
    assert summary["segments"][-1]["superseded"][0].startswith("superseded/step-0000020")
    steps = [r["step"] for r in rows(out / "metrics.jsonl") if r["event"] == "step"]
    assert steps == [5, 10, 15, 20, 25, 30]  # one history: no step twice
    old = rows(out / "metrics.superseded.jsonl")
    assert {r["step"] for r in old} == {15, 20, 25, 30}
    with pytest.raises(CheckpointError, match=r"no checkpoint of step 7 .*kept steps: 10, 20, 30"):
        Trainer.create(cfg(out, steps=30), resume=True, from_step=7)


def test_a_run_without_a_checkpoint_resumes_from_step_0(tmp_path: Path) -> None:
    """A crash (or a kill -9, or divergence) before the first checkpoint is no dead end."""
    out = tmp_path / "run"

    class Crash(Callback):
        def on_step(self, trainer, record) -> None:
            raise RuntimeError("power cut")

    t = train(out, steps=20, checkpoint_every=1000)
    t.callbacks.append(Crash())
    with pytest.raises(RuntimeError, match="power cut"):
        t.run()
    assert (
        not list((out / "checkpoints").glob("step-*")) if (out / "checkpoints").exists() else True
    )
    with pytest.raises(ConfigError, match="already holds a run"):
        Trainer.create(cfg(out, steps=20))
    resumed = train(out, resume=True, steps=20, checkpoint_every=1000)
    assert resumed.step == 0
    summary = resumed.run()
    fresh = train(tmp_path / "fresh", steps=20, checkpoint_every=1000)
    fresh.run()
    assert_same(weights(resumed), weights(fresh))
    assert [s["status"] for s in summary["segments"]] == ["failed", "finished"]
    notes = [r["message"] for r in rows(out / "metrics.jsonl") if r["event"] == "resume"]
    assert any("saved no checkpoint: starting over from step 0" in n for n in notes), notes


def test_a_corrupt_newest_checkpoint_falls_back_with_a_warning_naming_both(tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(out, steps=20).run()
    data = bytearray((out / "checkpoints" / "step-0000020" / "generator.safetensors").read_bytes())
    data[-2] ^= 0x10  # a flipped bit in the weights, not the header
    (out / "checkpoints" / "step-0000020" / "generator.safetensors").write_bytes(bytes(data))
    t = train(out, resume=True, steps=25)
    assert t.step == 10
    summary = t.run()
    warning = next(r for r in rows(out / "metrics.jsonl") if r["event"] == "warning")["message"]
    assert "step-0000020" in warning and "sha256" in warning and "step-0000010" in warning
    assert "step-0000020" in summary["segments"][-1]["passed_over"][0]


def test_run_json_keeps_earlier_segments_after_a_kill(tmp_path: Path) -> None:
    """run.json is written at the start and at each checkpoint: a killed segment keeps its
    figures up to its last checkpoint, and the next resume marks it lost."""
    out = tmp_path / "run"
    train(out, steps=10).run()

    class Kill(Callback):
        def on_checkpoint(self, trainer, path) -> None:
            if trainer.step == 20:
                raise SystemExit(9)  # run.json is as a kill -9 right here would leave it

    t = train(out, resume=True, steps=40)
    t.callbacks.append(Kill())
    t._finish = lambda status: None  # a killed process writes nothing at its end
    with pytest.raises(SystemExit):
        t.run()
    t.release()
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "running" and info["step"] == 20
    assert [s["status"] for s in info["segments"]] == ["finished", "running"]
    summary = train(out, resume=True, steps=30).run()
    segs = summary["segments"]
    assert [s["status"] for s in segs] == ["finished", "lost", "finished"]
    assert [s["from_step"] for s in segs] == [0, 10, 20]
    assert summary["images"] == sum(s["images"] for s in segs) == (10 + 10 + 10) * 16


def test_finite_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    t = train(out, steps=200, optimizer={"lr_g": 10.0, "lr_d": 10.0})
    with pytest.raises(TrainingError, match="divergence limit") as err:
        t.run()
    assert "\n" not in str(err.value)
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "failed" and info["step"] < 200
    kept = sorted((out / "checkpoints").glob("step-*"))
    assert all(int(p.name[5:]) < info["step"] for p in kept)
    errors = [r for r in rows(out / "metrics.jsonl") if r["event"] == "error"]
    assert errors and "diverged" in errors[0]["message"]
    # with the limit off, only non-finite values stop it (the old behaviour)
    calm = train(
        tmp_path / "off", steps=30, optimizer={"lr_g": 10.0, "lr_d": 10.0}, divergence_limit=None
    )
    assert calm.run()["status"] == "finished"


def test_a_group_torchrun_restarted_resumes_instead_of_refusing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under torchrun --max-restarts the same command runs again: it must resume, not refuse."""
    straight = train(tmp_path / "straight", steps=20)
    straight.run()
    out = tmp_path / "run"
    train(out, steps=10).run()
    with pytest.raises(ConfigError, match="already holds a run"):
        Trainer.create(cfg(out, steps=20))
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    t = train(out, steps=20)
    assert t.step == 10
    t.run()
    assert_same(weights(t), weights(straight))
    notes = [r["message"] for r in rows(out / "metrics.jsonl") if r["event"] == "resume"]
    assert any("torchrun restarted the group (restart 1): resuming" in n for n in notes)
    fresh = train(tmp_path / "fresh", steps=5)  # a restart of a run that never started: a new run
    assert fresh.step == 0
    fresh.close()
