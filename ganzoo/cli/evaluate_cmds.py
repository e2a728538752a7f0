"""``ganzoo evaluate``: sample a model, compute metrics, print a table or JSON.

Torch and the metrics are imported inside the command only, so other commands stay fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from ganzoo.cli import options
from ganzoo.cli.output import print_json, table


def evaluate_command(
    name_or_run_dir: str = typer.Argument(
        ..., help="A pretrained model name, hf-hub:owner/repo, local-dir:PATH or a run directory."
    ),
    metrics: str | None = typer.Option(
        None,
        "--metrics",
        "-m",
        help="Comma-separated metric names, e.g. fid,prd (`ganzoo list metrics`; default: the "
        "data set's default set).",
    ),
    n: int | None = typer.Option(
        None,
        "-n",
        "--n",
        help="Samples to draw (default 10,000 images, 2,500 2-D points).",
        callback=options.eval_samples,
    ),
    seed: int = typer.Option(0, "--seed", help="Sampling seed.", callback=options.seed),
    data: str | None = typer.Option(
        None, "--data", help="Data set to compare against (default: the model's)."
    ),
    data_root: str | None = typer.Option(
        None, "--data-root", help="Folder holding MNIST/raw (default $GANZOO_DATA)."
    ),
    no_floors: bool = typer.Option(
        False, "--no-floors", help="Skip the real-vs-real floors (faster)."
    ),
    device: str | None = typer.Option(
        None, "--device", help="e.g. cpu or cuda.", callback=options.device_name
    ),
    inception_weights: str | None = typer.Option(
        None,
        "--inception-weights",
        help="Local weights-inception-2015-12-05-6726825d.pth for the Inception metrics "
        "(default $GANZOO_INCEPTION_WEIGHTS, the torch hub cache, or torch-fidelity's download).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    threads: int | None = options.threads_option(),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bar (it shows only when stderr is a terminal)."
    ),
) -> None:
    """Evaluate a model with a pinned protocol; real-vs-real floors are shown beside each metric."""
    import ganzoo
    from ganzoo.metrics import evaluate

    options.apply_threads(threads)

    if metrics is not None:
        _check_metric_names(metrics)
    model = ganzoo.load(name_or_run_dir, device=device)
    data_options = _run_data_options(name_or_run_dir) if data is None else {}
    inception: dict[str, str] = {"weights": inception_weights} if inception_weights else {}
    if device is not None:
        inception["device"] = device
    with _progress_bar(enabled=not quiet) as progress:
        result = evaluate(
            model,
            data,
            metrics=metrics,
            n=n,
            seed=seed,
            data_root=data_root,
            floors=not no_floors,
            extractors={"inception-v3": inception},
            data_options=data_options,
            progress=progress,
        )
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    rows = [
        [k, f"{v:.4g}", f"{result.floors[k]:.4g}" if k in result.floors else ""]
        for k, v in result.metrics.items()
    ]
    p = result.protocol
    title = (
        f"{result.model or name_or_run_dir} on {p.data}: n={p.n} seed={p.seed}, "
        f"reference {p.reference_split} ({p.n_reference})"
    )
    table(title, ["metric", "value", "real-vs-real floor"], rows)
    if p.extractor_sha256:
        typer.echo(f"extractor {p.extractor} sha256 {p.extractor_sha256}")
    typer.echo(f"{result.seconds:.1f}s")


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on stderr for `evaluate`'s ``progress`` (None: no bar).

    None when disabled or when stderr is not a terminal: pipes and logs get no control codes.
    """
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("evaluate: {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("loading", total=None)

    def update(step: str, done: int, total: int) -> None:
        bar.update(task, description=step, completed=done, total=total)

    with bar:
        yield update


def _run_data_options(target: str) -> dict[str, object]:
    """The data options a run directory trained with (a folder's path, a resolution), else none.

    Raises:
        ConfigError: The run trained on data given in Python, which evaluation cannot rebuild.
    """
    from pathlib import Path

    path = Path(target)
    if not (path / "config.json").is_file():
        return {}
    from ganzoo.data.objects import IN_MEMORY
    from ganzoo.errors import ConfigError
    from ganzoo.training.rundir import read_run_config

    config = read_run_config(path)
    if config.data == IN_MEMORY:
        raise ConfigError(
            f"{target} trained on data given in Python, which evaluation compares with: run it "
            "from Python (ganzoo.metrics.evaluate(model, data)), or pass --data NAME"
        )
    return dict(config.data_options)


def _check_metric_names(metrics: str) -> None:
    """Fail before loading a model when a name is not a registered metric (with suggestions)."""
    from ganzoo.registry import get_registry

    registry = get_registry()
    for name in (m.strip().lower() for m in metrics.split(",")):
        if name:
            registry.get(name, "metric")


def register(app: typer.Typer) -> None:
    """Add ``evaluate``."""
    app.command("evaluate")(evaluate_command)
