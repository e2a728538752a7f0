"""ganzoo train's resume options and quiet mode (issue 17): --allow-changes, --from-step, -q."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ganzoo.cli import main

RING = [
    "gan", "--data", "ring-8", "--set", "data_options.size=512", "-b", "16",
    "--set", "architecture_options.g_hidden=[16]", "--set", "architecture_options.d_hidden=[16]",
    "--set", "log_every=5", "--set", "checkpoint_every=10", "--set", "keep_checkpoints=5",
    "--diagnostics", "none", "-q",
]  # fmt: skip


def ganzoo(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    return int(done.value.code or 0)


def test_resume_refuses_a_changed_seed_and_batch_then_allows_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = str(tmp_path / "run")
    assert ganzoo("train", *RING, "--steps", "10", "--out", run) == 0
    capsys.readouterr()
    assert ganzoo("train", "--resume", run, "--steps", "20", "--seed", "3", "-b", "8", "-q") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "batch_size 16 -> 8" in err[0] and "seed 0 -> 3" in err[0]
    assert "--allow-changes" in err[0]
    args = ("train", "--resume", run, "--steps", "20", "--seed", "3", "--allow-changes", "-q")
    assert ganzoo(*args) == 0
    segments = json.loads((Path(run) / "run.json").read_text())["segments"]
    assert segments[-1]["changes"] == {"seed": [0, 3]}


def test_from_step_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert ganzoo("train", *RING, "--steps", "30", "--out", str(run)) == 0
    assert ganzoo("train", "--resume", str(run), "--from-step", "10", "--steps", "20", "-q") == 0
    assert sorted(p.name for p in (run / "checkpoints").glob("step-*")) == [
        "step-0000010",
        "step-0000020",
    ]
    assert len(list((run / "checkpoints" / "superseded").iterdir())) == 2
    capsys.readouterr()
    assert (
        ganzoo("train", *RING, "--steps", "5", "--from-step", "10", "--out", str(tmp_path / "x"))
        == 1
    )
    assert "--from-step goes with --resume" in capsys.readouterr().err


def test_quiet_still_prints_critical_alarms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ganzoo.events import Alarm, event_from_dict, format_alarm

    args = [a for a in RING if a not in ("--diagnostics", "none")]
    run = tmp_path / "run"
    code = ganzoo(
        "train", *args, "--steps", "10", "--lr-g", "10", "--lr-d", "10",
        "--set", "divergence_limit=null", "--out", str(run),
    )  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    rows = [event_from_dict(json.loads(line)) for line in (run / "metrics.jsonl").open()]
    alarms = [a for a in rows if isinstance(a, Alarm)]
    critical = [a for a in alarms if a.severity == "critical"]
    assert critical, "this run (learning rates of 10) raises a critical alarm"
    for alarm in alarms:
        assert (format_alarm(alarm) in err) == (alarm.severity == "critical")
    assert "step 5/10" not in err  # no progress lines


def test_divergence_through_the_cli_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = ganzoo(
        "train",
        *RING,
        "--steps",
        "50",
        "--lr-g",
        "10",
        "--lr-d",
        "10",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: training diverged:"), err
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "failed"
