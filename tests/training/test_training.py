"""The training loop: update semantics, exact resume, divergence handling, run directories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganzoo.errors import CheckpointError, ConfigError, TrainingError
from ganzoo.training.config import TrainConfig, make_train_config
from ganzoo.training.loop import Trainer

RING = {
    "architecture": "gan",
    "data": "ring-8",
    "data_options": {"size": 2048},
    "architecture_options": {"g_hidden": [32, 32], "d_hidden": [32], "dropout": 0.0},
    "batch_size": 32,
    "log_every": 5,
    "sample_every": 1000,
    "checkpoint_every": 1000,
    "diagnostics": [],
}
DCGAN = {
    "architecture": "dcgan",
    "data": "mnist",
    "data_options": {"limit": 256},
    "architecture_options": {"width": 8, "latent_dim": 16},
    "batch_size": 16,
    "log_every": 2,
    "sample_every": 1000,
    "checkpoint_every": 1000,
    "diagnostics": [],
}


def config(base: dict, tmp: Path, **kw) -> TrainConfig:
    return TrainConfig(**{**base, "out": str(tmp), **kw})


def weights(t: Trainer) -> dict[str, torch.Tensor]:
    out = {f"G.{k}": v.clone() for k, v in t.G.state_dict().items()}
    out.update({f"D.{k}": v.clone() for k, v in t.D.state_dict().items()})
    return out


def snapshot(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("base", [RING, DCGAN], ids=["gan-ring", "dcgan-mnist"])
def test_d_step_leaves_g_alone_and_g_step_leaves_d_alone(base: dict, tmp_path: Path) -> None:
    t = Trainer.create(config(base, tmp_path / "run"))
    g0, d0 = snapshot(t.G), snapshot(t.D)
    t.updates.d_step()
    assert same(g0, snapshot(t.G)), "G changed during a D step"
    assert not same(d0, snapshot(t.D)), "D did not learn in its step"
    assert all(p.grad is None for p in t.G.parameters()), "the D step put gradients into G"
    d1 = snapshot(t.D)
    d_steps = {id(p): s["step"].clone() for p, s in t.opt_d.state.items()}
    t.updates.g_step()
    assert same(d1, snapshot(t.D)), "D changed during a G step"
    assert not same(g0, snapshot(t.G)), "G did not learn in its step"
    assert {id(p): s["step"] for p, s in t.opt_d.state.items()} == d_steps, (
        "D's optimizer stepped in G's step"
    )
    assert all(p.requires_grad for p in t.D.parameters()), "D left frozen after the G step"


def test_g_step_accumulates_no_grads_into_d(tmp_path: Path) -> None:
    t = Trainer.create(config(RING, tmp_path / "run"))
    t.updates.d_step()
    t.opt_d.zero_grad(set_to_none=True)
    t.updates.g_step()
    assert all(p.grad is None for p in t.D.parameters())


@pytest.mark.parametrize("base", [RING, DCGAN], ids=["gan-ring", "dcgan-mnist"])
def test_resume_is_bit_exact(base: dict, tmp_path: Path) -> None:
    n = 6
    full = Trainer.create(config(base, tmp_path / "full", steps=2 * n, ema=0.9))
    full.run()
    half = Trainer.create(config(base, tmp_path / "half", steps=n, ema=0.9))
    half.run()
    resumed = Trainer.create(
        make_train_config(json.loads((tmp_path / "half" / "config.json").read_text()), steps=2 * n),
        resume=True,
    )
    assert resumed.step == n
    resumed.run()
    a, b = weights(full), weights(resumed)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs after resume"
    assert all(
        torch.equal(x, y)
        for x, y in zip(
            full.ema.state_dict().values(), resumed.ema.state_dict().values(), strict=True
        )
    )


def test_run_directory_contents(tmp_path: Path) -> None:
    out = tmp_path / "run"
    summary = Trainer.create(config(RING, out, steps=10)).run()
    assert summary["status"] == "finished" and summary["step"] == 10
    saved = json.loads((out / "config.json").read_text())
    assert saved["loss"] == "non-saturating" and saved["data"] == "ring-8"
    assert (out / "samples" / "step-0000010.png").is_file()
    ckpt = out / "checkpoints" / "step-0000010"
    assert {
        "generator.safetensors",
        "discriminator.safetensors",
        "state.json",
        "rng.safetensors",
        "optim_g.safetensors",
        "optim_d.safetensors",
    } <= {p.name for p in ckpt.iterdir()}
    assert not list(out.rglob("*.pt")) and not list(out.rglob("*.pkl"))


def test_metrics_jsonl_records(tmp_path: Path) -> None:
    from ganzoo.training.callbacks import MetricsLogger

    out = tmp_path / "run"
    t = Trainer.create(config(RING, out, steps=10))
    t.callbacks.append(MetricsLogger(out / "metrics.jsonl"))
    out.mkdir(parents=True, exist_ok=True)  # the claim made it
    t.run()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if r["event"] == "step"]
    assert [r["step"] for r in steps] == [5, 10]
    for key in (
        "loss_d",
        "loss_g",
        "d_real",
        "d_fake",
        "grad_norm_d",
        "grad_norm_g",
        "images_per_second",
    ):
        assert all(isinstance(r[key], float) for r in steps), key
    assert rows[-1] == {"event": "end", "step": 10, "status": "finished"}


def test_existing_run_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "run"
    Trainer.create(config(RING, out, steps=2)).run()
    before = (out / "config.json").read_bytes()
    with pytest.raises(ConfigError, match="already holds a run"):
        Trainer.create(config(RING, out, steps=2))
    assert (out / "config.json").read_bytes() == before


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    t = Trainer.create(config(RING, out, steps=20, checkpoint_every=5))
    original = t.updates.g_step

    def poisoned():
        loss, gn, layer = original()
        if t.step >= 7:
            loss = loss * float("nan")
        return loss, gn, layer

    t.updates.g_step = poisoned  # type: ignore[method-assign]
    with pytest.raises(TrainingError, match="non-finite"):
        t.run()
    kept = sorted(p.name for p in (out / "checkpoints").glob("step-*"))
    assert kept == ["step-0000005"]
    assert json.loads((out / "run.json").read_text())["status"] == "failed"


def test_corrupt_checkpoint_on_resume_names_the_file(tmp_path: Path) -> None:
    out = tmp_path / "run"
    Trainer.create(config(RING, out, steps=3)).run()
    (out / "checkpoints" / "step-0000003" / "generator.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match=r"generator\.safetensors"):
        Trainer.create(config(RING, out, steps=6), resume=True)


def test_resume_without_checkpoint_is_clear(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint"):
        Trainer.create(config(RING, tmp_path / "empty", steps=6), resume=True)


def test_incompatible_loss_is_an_error(tmp_path: Path) -> None:
    from ganzoo.registry import get_registry

    spec = get_registry().get("wgan").spec
    if not spec.compatible_losses:
        pytest.skip("wgan declares no loss restriction")
    with pytest.raises(ConfigError, match="wasserstein"):
        Trainer.create(
            TrainConfig(
                architecture="wgan",
                loss="minimax",
                data="mnist",
                data_options={"limit": 64},
                out=str(tmp_path / "r"),
            )
        )


def test_bad_config_names_the_field() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        make_train_config({"architecture": "dcgan"}, batch_size=0)
    with pytest.raises(ConfigError, match="steps or epochs"):
        make_train_config({"architecture": "dcgan", "steps": 3, "epochs": 1.0})
    # `--epochs 1 --steps 3` on the command line (it used to train the default 1 epoch)
    with pytest.raises(ConfigError, match="steps or epochs"):
        make_train_config({"architecture": "dcgan"}, steps=3, epochs=1.0)
    assert make_train_config({"architecture": "dcgan", "epochs": 2.0}, steps=3).steps == 3
    assert make_train_config({"architecture": "dcgan", "steps": 3}, epochs=2.0).epochs == 2.0


def test_default_run_dirs_of_one_second_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs started in the same second (quick runs of a script) get runs/...-2, -3."""
    from datetime import datetime

    from ganzoo.training import runfiles

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2025, 1, 1, 12, 0, 0)

    monkeypatch.setattr(runfiles, "datetime", Frozen)
    monkeypatch.chdir(tmp_path)
    cfg = TrainConfig(architecture="gan", data="ring-8")
    first = runfiles.default_run_dir(cfg)
    assert first == Path("runs/gan-ring-8-20250101-120000")
    first.mkdir(parents=True)
    second = runfiles.default_run_dir(cfg)
    assert second == Path("runs/gan-ring-8-20250101-120000-2")
    second.mkdir()
    assert runfiles.default_run_dir(cfg).name.endswith("-3")


def test_epochs_translate_to_steps(tmp_path: Path) -> None:
    t = Trainer.create(config(RING, tmp_path / "r", epochs=2.0))
    assert t.total_steps == 2 * (2048 // 32)


def test_run_summary_adds_up_resumed_segments(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = Trainer.create(config(RING, out, steps=4)).run()
    resumed = Trainer.create(config(RING, out, steps=8), resume=True).run()
    assert resumed["step"] == 8 and resumed["images"] == 8 * RING["batch_size"]
    assert resumed["segment"]["images"] == 4 * RING["batch_size"]
    assert (
        resumed["wall_seconds"] >= first["wall_seconds"] + resumed["segment"]["wall_seconds"] - 0.01
    )


def test_a_process_that_writes_no_run_json_summarises_its_segment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ganzoo.training import runfiles

    clock = iter([100.0, 104.0])  # made at 100 s, summarised at 104 s
    monkeypatch.setattr(runfiles.time, "perf_counter", lambda: next(clock))
    segment = runfiles.Segment()
    segment.images = 320  # this process's images; two processes read twice as many
    summary = segment.summary("finished", 5, 10, 2, {"rank": 1})
    assert summary == {
        "status": "finished", "step": 5, "total_steps": 10, "wall_seconds": 4.0,
        "images_per_second": 160.0, "rank": 1,
    }  # fmt: skip
