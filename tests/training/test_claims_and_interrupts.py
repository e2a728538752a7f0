"""A run directory is claimed for the run's life; SIGINT/SIGTERM save a checkpoint (issue 17)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganzoo.errors import ConfigError, UnknownNameError
from ganzoo.training.callbacks import Callback, MetricsLogger
from ganzoo.training.config import TrainConfig
from ganzoo.training.interrupts import RunInterrupted
from ganzoo.training.loop import Trainer
from ganzoo.training.runlock import LOCK_FILE, claim_run_dir

RING = {
    "architecture": "gan",
    "data": "ring-8",
    "data_options": {"size": 512},
    "architecture_options": {"g_hidden": [16], "d_hidden": [16], "dropout": 0.0},
    "batch_size": 16,
    "log_every": 5,
    "sample_every": 1000,
    "checkpoint_every": 1000,
    "diagnostics": [],
}
CLI_RING = [
    "gan", "--data", "ring-8", "--set", "data_options.size=512", "-b", "16",
    "--set", "architecture_options.g_hidden=[16]", "--set", "architecture_options.d_hidden=[16]",
    "--set", "log_every=5", "--set", "checkpoint_every=1000000", "--set", "sample_every=1000000",
    "--diagnostics", "none",
]  # fmt: skip


def cfg(out: Path, **kw) -> TrainConfig:
    return TrainConfig(**{**RING, "out": str(out), **kw})


def test_a_second_claim_fails_naming_the_holder_and_a_released_one_is_free(tmp_path: Path) -> None:
    lock = claim_run_dir(tmp_path / "run")
    with pytest.raises(ConfigError) as err:
        claim_run_dir(tmp_path / "run")
    msg = str(err.value)
    assert f"process {os.getpid()} on " in msg and "in use" in msg and "\n" not in msg, msg
    lock.release()
    again = claim_run_dir(tmp_path / "run")
    assert again.stale_note() is None  # released cleanly: nothing to explain
    again.release()


def test_a_stale_lock_of_a_dead_process_is_explained_and_taken_over(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    dead = {"pid": 999999, "host": "node-7", "since": 1.0}  # a kill -9 leaves its note, no lock
    (run / LOCK_FILE).write_text(json.dumps(dead))
    lock = claim_run_dir(run)
    note = lock.stale_note()
    assert note and "process 999999 on node-7" in note and "took the directory over" in note
    assert json.loads((run / LOCK_FILE).read_text())["pid"] == os.getpid()
    lock.release()


def test_a_run_that_fails_to_start_leaves_no_empty_directory_and_keeps_what_was_there(
    tmp_path: Path,
) -> None:
    new = tmp_path / "new" / "run"
    with pytest.raises(UnknownNameError, match="did you mean 'gan'"):
        Trainer.create(cfg(new, architecture="gna"))
    assert not new.exists()  # the claim made it, nothing was written: gone
    assert not new.parent.exists()  # and the parent it made for it (runs/, by default)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(UnknownNameError, match="did you mean 'gan'"):
        Trainer.create(cfg(mine, architecture="gna"))
    assert (mine / "notes.txt").read_text() == "keep me"
    claim_run_dir(mine).release()  # and the claim was given up


def test_two_trainers_of_one_directory_cannot_run_at_once(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = Trainer.create(cfg(out, steps=5))
    with pytest.raises(ConfigError, match="is in use by process"):
        Trainer.create(cfg(out, steps=5))
    with pytest.raises(ConfigError, match="is in use by process"):
        Trainer.create(cfg(out, steps=5), resume=True)
    first.run()  # the end of the run gives the claim up
    Trainer.create(cfg(out, steps=10), resume=True).close()


def run_cli(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ganzoo", "train", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def ganzoo_here(*args: str) -> int:
    """``ganzoo ARGS`` in this process (the caller chdirs): its exit code. The runs under test
    are real subprocesses; what the test does after them (a resume, a refused second run) runs
    here, sparing a fresh interpreter's seconds of importing torch."""
    from ganzoo.cli import main

    with pytest.raises(SystemExit) as done:
        main(list(args))
    return int(done.value.code or 0)


def wait_for(predicate, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def step_rows(path: Path) -> list[int]:
    if not path.is_file():
        return []
    return [
        r["step"] for r in map(json.loads, path.read_text().splitlines()) if r["event"] == "step"
    ]


def test_two_concurrent_cli_trainings_into_one_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_cli([*CLI_RING, "--steps", "100000000", "--out", "run", "-q"], tmp_path)
    try:
        wait_for(lambda: len(step_rows(tmp_path / "run" / "metrics.jsonl")) >= 2)
        monkeypatch.chdir(tmp_path)  # the second training: this process, a process of its own
        capsys.readouterr()
        assert ganzoo_here("train", *CLI_RING, "--steps", "10", "--out", "run", "-q") == 1
        out, err = capsys.readouterr()
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "in use by process" in lines[0] and str(first.pid) in lines[0]
        assert "finished" not in out
    finally:
        first.send_signal(signal.SIGTERM)
        try:
            first.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            first.kill()
            raise
    steps = step_rows(tmp_path / "run" / "metrics.jsonl")
    assert steps == sorted(steps) and len(steps) == len(set(steps))  # one run's rows only


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_train_saves_a_checkpoint_and_says_how_to_resume(
    tmp_path: Path, sig: signal.Signals, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = run_cli([*CLI_RING, "--steps", "100000000", "--out", "run"], tmp_path)
    run = tmp_path / "run"
    wait_for(lambda: len(step_rows(run / "metrics.jsonl")) >= 2)
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 128 + sig.value, err
    last = err.strip().splitlines()[-1]
    assert f"interrupted by {sig.name}" in last and f"ganzoo train --resume {Path('run')}" in last
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "interrupted"
    step = info["step"]
    assert (run / "checkpoints" / f"step-{step:07d}").is_dir()
    monkeypatch.chdir(tmp_path)
    assert ganzoo_here("train", "--resume", "run", "--steps", str(step + 3), "-q") == 0
    assert json.loads((run / "run.json").read_text())["step"] == step + 3


def test_an_interrupted_run_resumes_to_the_uninterrupted_weights(
    tmp_path: Path, ctrl_c_handler: None
) -> None:
    class CtrlC(Callback):
        def on_step(self, trainer, record) -> None:
            if trainer.step == 10:
                os.kill(os.getpid(), signal.SIGINT)  # arrives between two steps

    straight = Trainer.create(cfg(tmp_path / "straight", steps=30))
    straight.run()
    out = tmp_path / "run"
    t = Trainer.create(cfg(out, steps=30))
    t.callbacks += [MetricsLogger(out / "metrics.jsonl"), CtrlC()]
    with pytest.raises(RunInterrupted) as err:
        t.run()
    assert err.value.exit_code == 130 and "Resume with: ganzoo train --resume" in str(err.value)
    step = t.step
    assert 10 <= step < 30 and (out / "checkpoints" / f"step-{step:07d}").is_dir()
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored
    resumed = Trainer.create(cfg(out, steps=30), resume=True)
    resumed.run()
    for a, b in zip(straight.G.state_dict().values(), resumed.G.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_kill_9_keeps_earlier_totals_and_the_next_run_takes_the_lock_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real kill -9: run.json still holds the run up to its last checkpoint, the lock file names
    the dead process, and the resume takes the directory over, says so and marks the segment lost."""
    run = tmp_path / "run"
    args = [a if a != "checkpoint_every=1000000" else "checkpoint_every=10" for a in CLI_RING]
    proc = run_cli([*args, "--steps", "100000000", "--out", "run", "-q"], tmp_path)
    try:
        wait_for(lambda: any(s >= 20 for s in step_rows(run / "metrics.jsonl")))
    finally:
        proc.kill()  # SIGKILL: nothing runs after it
        proc.communicate(timeout=60)
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "running" and info["step"] >= 10 and info["images"] > 0
    assert json.loads((run / LOCK_FILE).read_text())["pid"] == proc.pid
    step = json.loads((run / "checkpoints" / "latest.json").read_text())["step"]  # >= run.json's
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert ganzoo_here("train", "--resume", "run", "--steps", str(step + 5), "-q") == 0
    err = capsys.readouterr().err
    assert f"process {proc.pid} on" in err and "took the directory over" in err
    after = json.loads((run / "run.json").read_text())
    assert [s["status"] for s in after["segments"]] == ["lost", "finished"]
    assert after["segments"][1]["resumed_from"] == f"step-{step:07d}"
    assert after["images"] == info["images"] + 5 * 16
    steps = step_rows(run / "metrics.jsonl")
    assert steps == sorted(set(steps)) and steps[-1] == step + 5  # no step twice


def test_runs_started_together_without_out_get_their_own_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two default run directories computed in the same second: the second run to claim takes
    the next name instead of sharing (or being refused) the first one's."""
    from datetime import datetime

    from ganzoo.training import runfiles

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2025, 1, 1, 12, 0, 0)

    monkeypatch.setattr(runfiles, "datetime", Frozen)
    monkeypatch.chdir(tmp_path)
    first = Trainer.create(cfg(tmp_path, steps=2).model_copy(update={"out": None}))
    # the second computed its name before the first made the directory
    names = iter([Path("runs/gan-ring-8-20250101-120000")])
    monkeypatch.setattr(
        "ganzoo.training.opening.default_run_dir",
        lambda c: next(names, None) or runfiles.default_run_dir(c),
    )
    second = Trainer.create(cfg(tmp_path, steps=2).model_copy(update={"out": None}))
    assert first.run_dir == Path("runs/gan-ring-8-20250101-120000")
    assert second.run_dir == Path("runs/gan-ring-8-20250101-120000-2")
    first.close()
    second.close()
