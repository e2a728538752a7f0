"""Experiment loggers (issue 16): what each backend recorded, read back with its own library.

No network: TensorBoard event files are read with tensorboard's EventAccumulator, MLflow writes
to a local file store and is read back through its client, W&B runs offline and its files are
checked. A missing library is one line of error naming the pip command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo.cli import main
from ganzoo.events import Alarm, Notice
from ganzoo.training.callbacks import Callback, MetricsLogger
from ganzoo.training.config import TrainConfig
from ganzoo.training.loggers import flat_hparams, record_scalars
from ganzoo.training.loggers.select import build_loggers, parse_log_option
from ganzoo.training.loop import Trainer

RING = {
    "architecture": "gan",
    "data": "ring-8",
    "data_options": {"size": 512},
    "architecture_options": {"g_hidden": [16], "d_hidden": [16], "dropout": 0.0},
    "batch_size": 32,
    "steps": 10,
    "log_every": 5,
    "sample_every": 5,
    "checkpoint_every": 1000,
    "diagnostics": [],
}


class RaiseAlarm(Callback):
    """Emits one alarm at the first record, as a diagnostic would."""

    def on_step(self, trainer, record) -> None:
        if record.step == 5:
            trainer.emit(
                Alarm("test-alarm", 5, "warning", "seen at 5", "do nothing", "test", {"x": 1.0})
            )


def train(run_dir: Path, loggers: list, resume: bool = False, **kw) -> list[dict]:
    config = TrainConfig(**{**RING, "out": str(run_dir), **kw})
    callbacks = [MetricsLogger(run_dir / "metrics.jsonl"), RaiseAlarm(), *loggers]
    run_dir.mkdir(parents=True, exist_ok=True)
    trainer = Trainer.create(config, callbacks=callbacks, resume=resume)
    try:
        trainer.run()
    finally:
        trainer.close()
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if r["event"] == "step"]


def test_tensorboard_event_files_hold_scalars_grids_alarms_and_hparams(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = tmp_path / "run"
    steps = train(run, build_loggers(["tensorboard"]))
    acc = EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0, "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    loss_d = acc.Scalars("loss/d")
    assert [e.step for e in loss_d] == [5, 10]
    for event, row in zip(loss_d, steps, strict=True):  # float32 in the event file
        assert event.value == pytest.approx(row["loss_d"], rel=1e-6)
    assert {"loss/g", "scores/d_real", "prob/fake", "grad_norm/d"} <= set(tags["scalars"])
    assert [e.step for e in acc.Images("samples")] == [5, 10]
    png = acc.Images("samples")[0]
    assert png.width == 512 and png.height == 512  # the ring's scatter plot
    alarms = acc.Tensors("alarms/text_summary")
    assert [e.step for e in alarms] == [5]
    assert "test-alarm: seen at 5 -> do nothing" in alarms[0].tensor_proto.string_val[0].decode()
    notices = [t.tensor_proto.string_val[0].decode() for t in acc.Tensors("notices/text_summary")]
    assert notices[-1] == "end: finished at step 10"
    hp = acc.PluginTagToContent("hparams")
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(hp)
    from tensorboard.plugins.hparams import plugin_data_pb2

    start = plugin_data_pb2.HParamsPluginData.FromString(hp["_hparams_/session_start_info"])
    params = start.session_start_info.hparams
    assert params["architecture"].string_value == "gan"
    assert params["batch_size"].number_value == 32
    assert params["architecture_options.g_hidden"].string_value == "[16]"


def test_mlflow_local_file_store_holds_metrics_params_and_artifacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    run = tmp_path / "run"
    steps = train(run, build_loggers([f"mlflow:tracking_uri={uri},experiment=tests"]))
    run_id = json.loads((run / "loggers" / "mlflow.json").read_text())["run_id"]
    client = MlflowClient(uri)
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "run"
    history = client.get_metric_history(run_id, "loss/g")
    assert [m.step for m in history] == [r["step"] for r in steps]
    assert [m.value for m in history] == [r["loss_g"] for r in steps]  # float64 both ways
    assert got.data.params["architecture"] == "gan" and got.data.params["steps"] == "10"
    files = {f.path for f in client.list_artifacts(run_id, "samples")}
    assert files == {"samples/step-0000005.png", "samples/step-0000010.png"}
    text = Path(client.download_artifacts(run_id, "alarms.txt", str(tmp_path))).read_text()
    assert "step 5: alarm step 5: test-alarm: seen at 5 -> do nothing" in text

    # a resumed ganzoo run goes on logging to the same MLflow run
    train(run, build_loggers([f"mlflow:tracking_uri={uri},experiment=tests"]), True, steps=15)
    assert len(client.search_runs([got.info.experiment_id])) == 1
    assert [m.step for m in client.get_metric_history(run_id, "loss/g")] == [5, 10, 15]


def test_mlflow_file_store_refused_without_opt_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mlflow")
    from ganzoo.errors import ConfigError

    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    loggers = build_loggers([f"mlflow:tracking_uri={(tmp_path / 'm').as_uri()}"])
    with pytest.raises(ConfigError, match="MLFLOW_ALLOW_FILE_STORE=true"):
        train(tmp_path / "run", loggers)


def test_wandb_offline_run_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wandb = pytest.importorskip("wandb")
    for var, value in {
        "WANDB_MODE": "offline",
        "WANDB_SILENT": "true",
        "WANDB_CONFIG_DIR": str(tmp_path / "wandb-config"),
        "WANDB_CACHE_DIR": str(tmp_path / "wandb-cache"),
        "WANDB_DATA_DIR": str(tmp_path / "wandb-data"),
    }.items():
        monkeypatch.setenv(var, value)
    # wandb reads its WANDB_* variables once a process, when its session starts (wandb 0.31
    # warns and ignores later changes): a fresh session here, and none left for later tests
    wandb.teardown()
    run = tmp_path / "run"
    try:
        steps = train(run, build_loggers(["wandb:project=tests"]))
    finally:
        wandb.teardown()
    (offline,) = (run / "wandb").glob("offline-run-*")
    from ganzoo.training.loggers.wandb_logger import run_id

    assert offline.name.endswith(run_id(run))
    (data,) = offline.glob("run-*.wandb")
    records = wandb_records(data)
    # the config as `wandb sync` rebuilds it: the run record's, then each config record's
    updates = [u for r in records["run"] for u in r.run.config.update]
    updates += [u for r in records["config"] for u in r.config.update]
    config = {u.key or "/".join(u.nested_key): json.loads(u.value_json) for u in updates}
    assert config.get("architecture") == "gan" and config.get("batch_size") == 32, sorted(config)
    history = [
        {u.key or "/".join(u.nested_key): json.loads(u.value_json) for u in r.history.item}
        for r in records["history"]
    ]
    scalars = [h for h in history if "loss/d" in h]
    assert [h["step"] for h in scalars] == [5, 10]
    assert [h["loss/d"] for h in scalars] == [r["loss_d"] for r in steps]
    images = [h for h in history if h.get("samples/_type") == "image-file"]
    assert [h["step"] for h in images] == [5, 10]
    for h in images:
        assert (offline / "files" / h["samples/path"]).is_file()
    (alarms,) = [h for h in history if "alarms/path" in h]
    table = json.loads((offline / "files" / alarms["alarms/path"]).read_text())
    assert table["data"] == [[5, "alarm step 5: test-alarm: seen at 5 -> do nothing"]]
    assert records["exit"][0].exit.exit_code == 0


def wandb_records(path: Path) -> dict[str, list]:
    """The records of a .wandb file (LevelDB's log format: 32 KiB blocks of framed chunks)."""
    import struct
    from collections import defaultdict

    from wandb.proto import wandb_internal_pb2

    raw = path.read_bytes()
    assert raw[:4] == b":W&B"
    out: dict[str, list] = defaultdict(list)
    pos, pending = 7, b""
    while pos + 7 <= len(raw):
        if 32768 - pos % 32768 < 7:  # a block's tail too short for a header is padding
            pos += 32768 - pos % 32768
            continue
        _crc, length, kind = struct.unpack("<IHB", raw[pos : pos + 7])
        chunk, pos = raw[pos + 7 : pos + 7 + length], pos + 7 + length
        pending = chunk if kind in (1, 2) else pending + chunk  # full/first, middle/last
        if kind in (1, 4):
            record = wandb_internal_pb2.Record.FromString(pending)
            out[record.WhichOneof("record_type")].append(record)
    return out


@pytest.mark.parametrize("name", ["wandb", "mlflow", "tensorboard"])
def test_a_missing_library_is_one_line_naming_the_pip_command(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ganzoo.training.loggers.base as base

    real = base.find_spec
    monkeypatch.setattr(base, "find_spec", lambda m: None if m == name else real(m))
    with pytest.raises(SystemExit) as exit_:
        main(["train", "gan", "--data", "ring-8", "--steps", "1", "--log", name])
    err = capsys.readouterr().err
    assert exit_.value.code != 0 and "Traceback" not in err and err.count("\n") == 1
    assert err == (
        f"error: the {name} logger needs the {name} package: pip install 'torch-ganzoo[{name}]'\n"
    )


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("tensorbord", "tensorboard"),  # unknown: the close name is suggested
        ("dcgan", "is a architecture"),
        ("tensorboard:flush_secs=0", "flush_secs"),
        ("tensorboard:nope", "NAME:KEY=VALUE"),
    ],
)
def test_bad_log_values_are_one_line(
    value: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["train", "gan", "--data", "ring-8", "--steps", "1", "--log", value])
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err, err


def test_log_option_parsing_and_none() -> None:
    assert parse_log_option("mlflow:tracking_uri=file:./m,experiment=x") == (
        "mlflow",
        {"tracking_uri": "file:./m", "experiment": "x"},
    )
    assert parse_log_option("tensorboard:flush_secs=5") == ("tensorboard", {"flush_secs": 5})
    assert build_loggers(["none"]) == []
    assert len(build_loggers(["tensorboard,tensorboard"])) == 2


def test_scalars_skip_unmeasured_and_hparams_are_flat() -> None:
    from ganzoo.events import StepRecord

    record = StepRecord(3, 1.0, 2.0, 0.5, -0.5, grad_norms_g={"net.0": 0.25})
    scalars = record_scalars(record)
    assert scalars["loss/d"] == 1.0 and scalars["grad_norm_g/net.0"] == 0.25
    assert "prob/real" not in scalars  # NaN: not measured
    flat = flat_hparams({"a": {"b": None, "c": [1, 2]}, "d": 1.5})
    assert flat == {"a.b": "none", "a.c": "[1, 2]", "d": 1.5}
    assert Notice("resume", 1, "x").as_dict()["event"] == "resume"


def test_list_loggers_does_not_import_torch_or_the_libraries() -> None:
    code = (
        "import sys\n"
        "from ganzoo.cli import main\n"
        "try:\n    main(['list', 'loggers'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('torch', 'wandb', 'mlflow', 'tensorboard') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split()[:2] for line in out.splitlines()[1:]]
    assert rows == [["logger", "mlflow"], ["logger", "tensorboard"], ["logger", "wandb"]]
