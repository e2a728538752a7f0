"""``ganzoo diagnose``: what went wrong in a run, and collapse checks of a finished model."""

from __future__ import annotations

from pathlib import Path

import typer

from ganzoo.cli import options
from ganzoo.errors import ConfigError


def diagnose_command(
    target: str = typer.Argument(..., help="A run directory, or a pretrained model name."),
    samples: int = typer.Option(
        1000, "-n", help="Samples for the sample-based detectors.", callback=options.eval_samples
    ),
    seed: int = typer.Option(0, "--seed", callback=options.seed),
    plot: Path = typer.Option(
        None, "--plot", help="Where to save the PNG (default RUN_DIR/diagnostics.png)."
    ),
    only_records: bool = typer.Option(
        False, "--records-only", help="Skip the sample-based detectors."
    ),
    data_root: Path = typer.Option(None, "--data-root", help="Folder holding MNIST/raw."),
) -> None:
    """Report alarms of a run (logged, and replayed from its records) with a plot; score samples."""
    from ganzoo.events import format_alarm  # here, not at module level: `ganzoo list` stays lean
    from ganzoo.registry import get_registry

    path = Path(target)
    is_dir = path.is_dir() and target not in get_registry()
    if is_dir:
        from ganzoo.diagnostics.report import diagnose_run, plot_run

        if not (path / "metrics.jsonl").is_file():
            raise ConfigError(
                f"{path} has no metrics.jsonl: it is not a ganzoo training run (or it never "
                "logged); train with `ganzoo train ... --out DIR` first"
            )
        diag = diagnose_run(path)
        first, last = diag.records[0].step, diag.records[-1].step
        typer.echo(
            f"run {path}: {len(diag.records)} records, steps {first}-{last}, "
            f"status {diag.status or 'unknown'}"
        )
        typer.echo(f"alarms logged during training: {len(diag.logged)}")
        for a in diag.logged:
            typer.echo("  " + format_alarm(a, prefix=a.severity))
        typer.echo(
            f"alarms of the record detectors replayed over the records: {len(diag.replayed)}"
        )
        for r in diag.replayed:
            typer.echo("  " + format_alarm(r, prefix=r.severity))
        out = plot_run(diag, plot or path / "diagnostics.png")
        typer.echo(f"plot: {out}")
    if only_records:
        return
    if not is_dir and target not in get_registry():
        raise ConfigError(f"{target!r} is neither a run directory nor a registered model")
    if is_dir and not (path / "checkpoints").is_dir():
        typer.echo("no checkpoints: sample-based detectors skipped")
        return
    import ganzoo
    from ganzoo.data.objects import IN_MEMORY
    from ganzoo.diagnostics.report import diagnose_samples
    from ganzoo.training.setup import load_data

    model = ganzoo.load(target)
    options = {"root": str(data_root)} if data_root else {}
    # the data set as the model was trained on it (dcgan-mnist: MNIST padded to 32 px)
    from ganzoo.building import at_model_resolution

    options = at_model_resolution(model.data, options)
    name = model.data.name
    if is_dir:  # the data set and options the run trained on (a folder, an array file, ...)
        from ganzoo.training.rundir import read_run_config

        run_config = read_run_config(path)
        name, options = run_config.data or name, {**run_config.data_options, **options}
    if name == IN_MEMORY:
        raise ConfigError(
            f"{target} trained on data given in Python, which the sample-based detectors need; "
            "run them from Python (ganzoo.diagnostics.report.diagnose_samples), or pass "
            "--records-only"
        )
    data = load_data(name, options)
    x = model.sample(samples, seed=seed).float().cpu()
    alarms = diagnose_samples(x, data)
    typer.echo(f"sample-based detectors on {samples} samples of {model.name} ({model.data.name}):")
    if not alarms:
        typer.echo("  no collapse found")
    for a in alarms:
        typer.echo("  " + format_alarm(a, prefix=a.severity, with_step=False))


def register(app: typer.Typer) -> None:
    """Add ``diagnose``."""
    app.command("diagnose")(diagnose_command)
