"""``ganzoo train``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from ganzoo.cli import options
from ganzoo.cli.overrides import merge, parse_sets
from ganzoo.errors import ConfigError
from ganzoo.hardware import retain_freed_memory


def _data_argument(text: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``--data``'s data set name and options; says on stderr which was used when ambiguous."""
    from ganzoo.data.sources import resolve_data_argument
    from ganzoo.registry import get_registry

    registered = text in get_registry().names("dataset")
    name, path_options, note = resolve_data_argument(text, registered)
    if note:
        typer.echo(note, err=True)
    return name, {**options, **path_options}


def train_command(
    target: str = typer.Argument(None, help="Architecture name or a YAML/JSON config file."),
    data: str = typer.Option(
        None,
        "--data",
        "-d",
        help="Data set name, a folder of images or a .npy/.npz/.safetensors file (an existing "
        "path wins over a name; default: the architecture's data set).",
    ),
    resolution: int = typer.Option(
        None,
        "--resolution",
        help="Image side in pixels (resize + center-crop); data's own: default.",
    ),
    channels: int = typer.Option(
        None, "--channels", help="Image folders: 1 (grey) or 3 (RGB); default: detected."
    ),
    unlabelled: bool = typer.Option(
        False, "--unlabelled", help="Ignore class subfolders / labels (unconditional training)."
    ),
    loss: str = typer.Option(None, "--loss", "-l", help="Loss name (default: the architecture's)."),
    steps: int = typer.Option(
        None, "--steps", help="Generator updates to run.", callback=options.count
    ),
    epochs: float = typer.Option(
        None,
        "--epochs",
        help="Passes over the data (instead of --steps).",
        callback=options.positive,
    ),
    batch_size: int = typer.Option(None, "--batch-size", "-b", callback=options.count),
    out: Path = typer.Option(None, "--out", "-o", help="Run directory (must not hold a run yet)."),
    resume: Path = typer.Option(None, "--resume", help="Continue the run in this directory."),
    init: str = typer.Option(
        None,
        "--init",
        help="Fine-tune: start G, D and the EMA from this trained model (a pretrained model, "
        "hf-hub:owner/repo, a model folder or run directory); without an architecture, train "
        "the model's own architecture, options and data set.",
    ),
    from_step: int = typer.Option(
        None,
        "--from-step",
        min=0,
        help="With --resume: go on from this kept checkpoint (later ones are moved to "
        "checkpoints/superseded/).",
    ),
    allow_changes: bool = typer.Option(
        False,
        "--allow-changes",
        help="With --resume: let the options change what the run trains (data, loss, batch, "
        "seed, architecture or optimizer options); run.json records the change.",
    ),
    seed: int = typer.Option(None, "--seed", callback=options.seed),
    lr_g: float = typer.Option(None, "--lr-g", callback=options.positive),
    lr_d: float = typer.Option(None, "--lr-d", callback=options.positive),
    n_critic: int = typer.Option(None, "--n-critic", callback=options.count),
    device: str = typer.Option(
        None, "--device", help="auto, cpu, cuda, ...", callback=options.device_name
    ),
    ema: float = typer.Option(
        None, "--ema", help="EMA decay of G's weights (e.g. 0.999).", callback=options.unit_open
    ),
    augment: str = typer.Option(
        None,
        "--augment",
        help="Augment what D sees (images): diffaugment or ada; their options with "
        "--set augment_options.KEY=VALUE.",
    ),
    data_root: Path = typer.Option(
        None, "--data-root", help="Folder holding MNIST/raw (or $GANZOO_DATA)."
    ),
    download: bool = typer.Option(False, "--download", help="Download the data set if missing."),
    diagnostics: str = typer.Option(
        None,
        "--diagnostics",
        help="Comma-separated: NAME (only these), +NAME / -NAME (the defaults with / without "
        "it; write --diagnostics=-NAME), all, none. Default: $GANZOO_DIAGNOSTICS, else the "
        "diagnostics on by default (ganzoo list diagnostics).",
    ),
    on_alarm: str = typer.Option(
        None, "--on-alarm", help="warn (default) or stop on a critical alarm."
    ),
    sets: list[str] = typer.Option([], "--set", help="Any config field: KEY=VALUE (dotted keys)."),
    log: list[str] = typer.Option(
        [],
        "--log",
        help="Experiment logger(s): tensorboard, wandb, mlflow (ganzoo list loggers); "
        "NAME:KEY=VALUE,... sets its options. Repeatable.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    threads: int | None = options.threads_option(),
) -> None:
    """Train a GAN; writes config, metrics (JSON lines), sample grids and checkpoints to the run dir."""
    options.apply_threads(threads)
    from ganzoo.training.config import load_config_file, make_train_config
    from ganzoo.training.rundir import read_run_config

    start = None
    if resume is not None:
        if init is not None:
            raise ConfigError("--init starts a new run; a resumed run goes on from its checkpoint")
        base = read_run_config(resume).model_dump(mode="json")
        base["out"] = str(resume)
    elif init is not None:
        start, base = _init_base(init, target)
    elif target is None:
        raise ConfigError(
            "name an architecture (ganzoo list architectures) or a config file, pass --init "
            "MODEL to fine-tune one, or pass --resume DIR"
        )
    elif target.endswith((".yaml", ".yml", ".json")) or Path(target).is_file():
        base = load_config_file(Path(target))
    else:
        base = {"architecture": target}
    base = merge(base, parse_sets(sets))
    data_options = dict(base.get("data_options") or {})
    if data_root is not None:
        data_options["root"] = str(data_root)
    if download:
        data_options["download"] = True
    for key, value in {"resolution": resolution, "channels": channels}.items():
        if value is not None:
            data_options[key] = value
    if unlabelled:
        data_options["unlabelled"] = True
    if data is not None:
        data, data_options = _data_argument(data, data_options)
    optimizer = {
        k: v for k, v in {"lr_g": lr_g, "lr_d": lr_d, "n_critic": n_critic}.items() if v is not None
    }
    diag: list[str] | None = None
    if diagnostics is not None:
        diag = (
            []
            if diagnostics.strip().lower() == "none"
            else [d.strip() for d in diagnostics.split(",") if d.strip()]
        )
    config = make_train_config(
        base,
        data=data,
        loss=loss,
        steps=steps,
        epochs=epochs,
        batch_size=batch_size,
        out=str(out) if out else None,
        seed=seed,
        device=device,
        ema=ema,
        augment=augment,
        data_options=data_options or None,
        optimizer=optimizer or None,
        diagnostics=diag,
        diagnostics_policy=on_alarm,
    )
    if resume is not None and out is not None and Path(out) != Path(resume):
        raise ConfigError(
            "--out and --resume name different directories; a resumed run stays in its directory"
        )
    from ganzoo.training.loggers.select import build_loggers

    loggers = build_loggers(log)  # a missing library fails here, before anything is built
    if start is None and config.init and resume is None:  # a config file's init: field
        from ganzoo.loading import start_model

        start = start_model(config.init)
    run(
        config, resume=resume is not None, quiet=quiet, loggers=loggers,
        allow_changes=allow_changes, from_step=from_step, init=start,
    )  # fmt: skip


def _init_base(init: str, target: str | None) -> tuple[Any, dict[str, Any]]:
    """``--init``'s model and the config it starts from: the target's, else the model's own."""
    from ganzoo.loading import start_model
    from ganzoo.training.config import load_config_file

    start = start_model(init)
    if target is None:
        base: dict[str, Any] = {
            "architecture": start.arch.name,
            "architecture_options": start.config_dict(),
            "data": start.data.name,
        }
    elif target.endswith((".yaml", ".yml", ".json")) or Path(target).is_file():
        base = load_config_file(Path(target))
    else:
        base = {"architecture": target, "architecture_options": start.config_dict()}
    return start, {**base, "init": init}


def run(
    config: Any, resume: bool = False, quiet: bool = False, loggers: list[Any] | None = None,
    allow_changes: bool = False, from_step: int | None = None, init: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """Build the trainer with the standard callbacks and ``loggers``, run it, say where it went.

    ``init`` is the trained model a new run starts from (``config.init``'s).
    """
    from ganzoo.training.callbacks import Alarms, MetricsLogger, PlainLog, ProgressDisplay
    from ganzoo.training.loop import Trainer
    from ganzoo.training.watch import DiagnosticsCallback, build_diagnostics

    retain_freed_memory()  # this command owns its process: no page faults on every step
    # one process; under `torchrun --nproc_per_node=N` (N > 1) this rank of a distributed run
    trainer = Trainer.create(
        config, resume=resume, allow_changes=allow_changes, from_step=from_step, init=init
    )
    main = trainer.is_main  # rank 0 alone writes files and shows progress
    try:
        if main:
            trainer.run_dir.mkdir(parents=True, exist_ok=True)
            callbacks = [MetricsLogger(trainer.run_dir / "metrics.jsonl")]
            diags = build_diagnostics(config.diagnostics)
            if diags:
                callbacks.append(DiagnosticsCallback(diags, config.diagnostics_policy))
            callbacks.extend(loggers or [])
            if not quiet:
                callbacks.append(ProgressDisplay() if sys.stderr.isatty() else PlainLog(every=10))
            else:  # quiet hides progress, never a critical alarm or an error
                callbacks.append(Alarms())
            trainer.callbacks.extend(callbacks)
        summary = trainer.run()
    finally:
        trainer.close()
    if main:
        typer.echo(
            f"{summary['status']}: {summary['step']} steps in {summary['wall_seconds']:.1f} s "
            f"({summary['images_per_second']} img/s) -> {trainer.run_dir}"
        )
    return summary


def register(app: typer.Typer) -> None:
    """Add train."""
    app.command("train")(train_command)
