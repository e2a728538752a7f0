"""Typed events end to end: what callbacks receive is what metrics.jsonl holds and reads back, and
one formatter writes every alarm line."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from ganzoo.events import (
    Alarm,
    CheckpointSaved,
    Notice,
    RunEnded,
    StepRecord,
    event_from_dict,
    format_alarm,
)
from ganzoo.training.callbacks import Callback, MetricsLogger, PlainLog, ProgressDisplay

ALARM = Alarm(
    kind="d-overpowering",
    step=250,
    severity="critical",
    message="D wins: accuracy 0.975 [3 records]",
    suggestion="lower D's learning rate",
    source="d-overpowering",
    evidence={"d_accuracy": 0.975, "records": 3.0},
)
RECORD = StepRecord(
    step=5,
    loss_d=1.25,
    loss_g=0.5,
    d_real=0.25,
    d_fake=-0.5,
    p_real=0.56,
    p_fake=0.38,
    grad_norm_d=2.0,
    grad_norm_g=3.0,
    grad_norms_g={"net.0.weight": 1.5},
    d_accuracy=0.75,
    r_t=0.125,
    augment_p=0.25,
    loss_name="non-saturating",
    images_per_second=1000.0,
)


def test_every_event_round_trips_through_metrics_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    log = MetricsLogger(path)
    run = SimpleNamespace(step=250)
    notices = [Notice(kind, 250, f"{kind} at 250") for kind in ("resume", "stopped", "error")]
    log.on_step(run, RECORD)  # type: ignore[arg-type]
    log.on_event(run, ALARM)  # type: ignore[arg-type]
    for notice in notices:
        log.on_event(run, notice)  # type: ignore[arg-type]
    log.on_checkpoint(run, tmp_path / "checkpoints" / "step-0000250")  # type: ignore[arg-type]
    log.on_end(run, "stopped")  # type: ignore[arg-type]
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["event"] for r in rows] == [
        "step", "alarm", "resume", "stopped", "error", "checkpoint", "end",
    ]  # fmt: skip
    assert rows[2] == {"event": "resume", "step": 250, "message": "resume at 250"}
    assert rows[5] == {"event": "checkpoint", "step": 250, "path": "step-0000250"}
    assert rows[6] == {"event": "end", "step": 250, "status": "stopped"}
    back = [event_from_dict(r) for r in rows]
    assert back == [
        RECORD, ALARM, *notices, CheckpointSaved(250, "step-0000250"), RunEnded(250, "stopped"),
    ]  # fmt: skip
    assert [e.as_dict() for e in back if e is not None] == rows


def test_reading_rows_is_tolerant() -> None:
    assert event_from_dict({"event": "something-newer", "step": 3}) is None
    old = {"event": "step", "step": 7, "loss_d": None, "loss_g": 1.0, "d_real": 0.0}
    record = event_from_dict({**old, "d_fake": 0.0, "unknown_key": 1})
    assert isinstance(record, StepRecord) and record.step == 7 and math.isnan(record.loss_d)
    assert record.scores == "logits" and record.grad_norms_g == {}  # fields the row lacks


def test_a_resumed_cli_run_logs_typed_rows_and_its_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ganzoo.cli import app

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    run = tmp_path / "run"
    common = ["--device", "cpu", "-q", "--set", "log_every=2", "--set", "checkpoint_every=2"]
    first = ["train", "gan", "--data", "ring-8", "--steps", "4", "-o", str(run), *common]
    first += ["--diagnostics", "none", "--set", "data_options.size=256"]
    for args in (first, ["train", "--resume", str(run), "--steps", "6", *common]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    events = [event_from_dict(r) for r in rows]
    assert None not in events
    assert [e.as_dict() for e in events if e is not None] == rows
    kinds = [r["event"] for r in rows]
    assert kinds.count("end") == 2 and kinds.count("resume") == 1
    resume = events[kinds.index("resume")]
    assert kinds.index("resume") == kinds.index("end") + 1  # first thing the resumed run logs
    assert isinstance(resume, Notice) and resume.step == 4
    assert resume.message == f"resumed from {run / 'checkpoints' / 'step-0000004'}"
    assert [e.step for e in events if isinstance(e, StepRecord)] == [2, 4, 6]


def test_format_alarm_is_one_line() -> None:
    assert format_alarm(ALARM) == (
        "alarm step 250: d-overpowering: D wins: accuracy 0.975 [3 records] "
        "-> lower D's learning rate"
    )
    assert format_alarm(ALARM, prefix="critical", with_step=False) == (
        "critical: d-overpowering: D wins: accuracy 0.975 [3 records] -> lower D's learning rate"
    )


def test_both_displays_print_format_alarm(capsys: pytest.CaptureFixture[str]) -> None:
    run = SimpleNamespace(step=250, total_steps=1000)
    PlainLog().on_event(run, ALARM)  # type: ignore[arg-type]
    PlainLog().on_event(run, Notice("resume", 3, "resumed"))  # type: ignore[arg-type]
    assert capsys.readouterr().err == format_alarm(ALARM) + "\n"  # notices: not in a plain log

    from rich.console import Console

    display = ProgressDisplay()
    display.console = Console(file=io.StringIO(), width=400, color_system=None)
    display.on_event(run, ALARM)  # type: ignore[arg-type]
    display.on_event(run, Notice("resume", 3, "resumed from [somewhere]"))  # type: ignore[arg-type]
    assert display.console.file.getvalue().splitlines() == [  # type: ignore[attr-defined]
        format_alarm(ALARM),  # brackets in the message are text, not rich markup
        "resumed from [somewhere]",
    ]


def test_callbacks_receive_typed_events(tmp_path: Path) -> None:
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer

    got: list[object] = []

    class Keep(Callback):
        def on_event(self, trainer, event):  # type: ignore[no-untyped-def]
            got.append(event)

        def on_step(self, trainer, record):  # type: ignore[no-untyped-def]
            if record.step == 4:
                trainer.emit(ALARM)
                trainer.request_stop("enough")

    config = TrainConfig(
        architecture="gan",
        data="ring-8",
        data_options={"size": 256},
        batch_size=16,
        steps=10,
        log_every=2,
        diagnostics=[],
        device="cpu",
        out=str(tmp_path / "r"),
    )
    t = Trainer.create(config, callbacks=[Keep()])
    assert t.run()["status"] == "stopped"
    assert got == [ALARM, Notice("stopped", 4, "stopped: enough")]
