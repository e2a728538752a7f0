"""--threads on train, sample and evaluate, and the hint on a machine whose cores are busy."""

from __future__ import annotations

import os

import pytest
import torch
from typer.testing import CliRunner

from ganzoo.cli import app, options
from ganzoo.errors import ConfigError
from ganzoo.hardware import busy_hint, set_threads


@pytest.fixture(autouse=True)
def _keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_hint_only_when_the_load_exceeds_the_cores(monkeypatch) -> None:
    cores = os.cpu_count() or 1
    monkeypatch.setattr(os, "getloadavg", lambda: (cores + 0.5, 0.0, 0.0))
    hint = busy_hint()
    assert hint is not None and hint.startswith("hint: the load average")
    assert "--threads 1" in hint and "\n" not in hint
    monkeypatch.setattr(os, "getloadavg", lambda: (cores - 0.5, 0.0, 0.0))
    assert busy_hint() is None


def test_set_threads_checks_its_value() -> None:
    set_threads(1)
    assert torch.get_num_threads() == 1
    set_threads(None)  # leaves it
    assert torch.get_num_threads() == 1
    with pytest.raises(ConfigError, match="whole number >= 1"):
        set_threads(0)


@pytest.mark.parametrize("threads", [1, 2])
def test_sample_sets_threads(tmp_path, threads: int) -> None:
    torch.set_num_threads(3)
    out = tmp_path / "s.png"
    result = CliRunner().invoke(
        app, ["sample", "dcgan-mnist", "-n", "2", "--out", str(out), "--threads", str(threads)]
    )
    assert result.exit_code == 0, result.output
    assert torch.get_num_threads() == threads and out.is_file()


def test_train_and_evaluate_take_threads(tmp_path, monkeypatch) -> None:
    cores = os.cpu_count() or 1
    monkeypatch.setattr(os, "getloadavg", lambda: (cores * 4.0, 0.0, 0.0))
    # the hint is for a person at a terminal who has not chosen a thread count
    monkeypatch.setattr(options, "stderr_is_terminal", lambda: True)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    run = tmp_path / "run"

    def train(out, *extra):
        return CliRunner().invoke(
            app,
            ["train", "gan", "--data", "ring-8", "--steps", "2", "--batch-size", "8", "-q",
             "--diagnostics", "none", "--out", str(out), "--set",
             "architecture_options.g_hidden=[8]", "--set", "architecture_options.d_hidden=[8]",
             *extra],
        )  # fmt: skip

    busy = train(run)  # no --threads on a busy machine: the hint
    assert busy.exit_code == 0, busy.output
    assert "hint: the load average" in busy.output
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a thread count chosen: no hint
    chosen = train(tmp_path / "run1")
    assert chosen.exit_code == 0 and "hint:" not in chosen.output
    torch.set_num_threads(3)
    result = train(tmp_path / "run2", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert "hint:" not in result.output and torch.get_num_threads() == 1
    torch.set_num_threads(3)
    result = CliRunner().invoke(
        app, ["evaluate", str(run), "-n", "200", "--no-floors", "--threads", "2"]
    )
    assert result.exit_code == 0, result.output
    assert torch.get_num_threads() == 2


def test_bad_threads_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["sample", "dcgan-mnist", "--threads", "0"])
    assert result.exit_code == 2 and "0 is not in 1..1024" in result.output
