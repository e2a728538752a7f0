"""``ganzoo reproduce``: train a pretrained model's committed recipe and compare with its card.

Torch, training and the metrics are imported inside the command only, so ``ganzoo list`` stays
fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ganzoo.cli import options
from ganzoo.cli.output import print_json, table


def reproduce_command(
    name: str = typer.Argument(..., help="A pretrained model's name (ganzoo list models)."),
    seeds: int = typer.Option(
        1,
        "--seeds",
        "-k",
        help="Seeds to train: the recipe's seed and the next ones.",
        callback=options.int_range(1, 100),
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Compare the mean over the seeds with the card's tolerance band; exit 1 outside it.",
    ),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="Folder of the runs, one seed-S folder each (default runs/reproduce/NAME); finished "
        "runs there are reused and unfinished ones resumed.",
    ),
    sets: list[str] = typer.Option(
        [],
        "--set",
        help="Override a recipe field: KEY=VALUE (dotted keys). The run is no longer the card's "
        "recipe (a line on stderr says so).",
    ),
    n: int | None = typer.Option(
        None,
        "-n",
        "--n",
        help="Samples of the evaluation (default: the card's protocol's; --check refuses others).",
        callback=options.eval_samples,
    ),
    data_root: str | None = typer.Option(
        None, "--data-root", help="Folder holding MNIST/raw (default $GANZOO_DATA)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    jobs: int = typer.Option(
        1,
        "--jobs",
        "-j",
        help="Seeds trained at a time, each in its own process with its share of the threads "
        "(a small model on a many-core machine or a GPU: up to --seeds).",
        callback=options.int_range(1, 100),
    ),
    threads: int | None = options.threads_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No training progress lines."),
) -> None:
    """Train a pretrained model's committed recipe, evaluate it like its card, compare."""
    from ganzoo.cli.overrides import merge, parse_sets
    from ganzoo.errors import ConfigError
    from ganzoo.zoo import reproduce as rep

    spec = rep.model_card(name)  # an unknown name suggests close ones, before anything runs
    recipe = rep.load_recipe(spec)
    if sets:
        extra = parse_sets(sets)
        for one, other in (("steps", "epochs"), ("epochs", "steps")):
            if one in extra:  # the run's length given one way replaces the recipe's other way
                recipe.pop(other, None)
        recipe = merge(recipe, extra)
        typer.echo(f"note: recipe overridden ({', '.join(sets)}): not the card's recipe", err=True)
    protocol_n = (spec.training.get("protocol") or {}).get("n")
    if check and n is not None and n != protocol_n:
        raise ConfigError(
            f"--check compares with the card's protocol (n={protocol_n}): drop -n {n}"
        )
    if check and (spec.spread is None or not spec.spread.band):
        rep.check(spec, [])  # raises: a card without a band fails before any training
    options.apply_threads(threads)
    runs = out or Path("runs") / "reproduce" / spec.name
    if rep.is_runs_dir_of(runs, spec.name):
        typer.echo(
            f"note: {runs} holds {spec.name}/seed-S runs (tools/build_zoo.py's --runs-dir "
            f"layout): using {runs / spec.name}",
            err=True,
        )
        runs = runs / spec.name
    results = rep.reproduce(
        spec,
        recipe,
        seeds,
        runs,
        data_root=data_root,
        n=n,
        quiet=quiet or as_json,
        jobs=jobs,
    )
    failures = rep.check(spec, results) if check else []
    if as_json:
        print_json(
            {
                "model": spec.name,
                "seeds": [
                    {
                        "seed": r.seed,
                        "step": r.step,
                        "run_dir": str(r.run_dir),
                        "metrics": r.metrics,
                    }
                    for r in results
                ],
                "mean": rep.means(results),
                "band": dict(spec.spread.band) if spec.spread else None,
                "outside_band": failures if check else None,
            }
        )
    else:
        headers, rows = rep.table_rows(spec, results)
        table(f"{spec.name}: {len(results)} seed(s) of its recipe", headers, rows)
        sel = results[0].selection
        if sel is not None:
            from ganzoo.metric_keys import limit_text

            among = f" among those with {limit_text(sel.limits)}" if sel.limits else ""
            typer.echo(
                f"checkpoints chosen by {sel.metric}{among} (n={sel.n}, seed {sel.seed}) on "
                f"{sel.reference}"
            )
    if check:
        if failures:
            for line in failures:
                typer.echo(f"outside the band: {line}", err=True)
            raise typer.Exit(1)
        if not as_json:
            typer.echo(f"check passed: the mean over {len(results)} seed(s) is inside every band")


def register(app: typer.Typer) -> None:
    """Add ``reproduce``."""
    app.command("reproduce")(reproduce_command)
