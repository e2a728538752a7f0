"""Train, choose, export, evaluate and pin the built-in pretrained models (a maintainer script).

    python tools/build_zoo.py [NAME ...] [--seeds 3] [--runs-dir runs/zoo] [--data-root DIR]
    python tools/build_zoo.py NAME --seeds 3 --jobs 3   # the seeds side by side, one process each
    python tools/build_zoo.py NAME --only-seed 1 & python tools/build_zoo.py NAME --only-seed 2
    python tools/build_zoo.py --list          # the recipe names
    python tools/build_zoo.py --docs-only     # re-render docs/models.md from zoo.json

Run from the repository root of a checkout with ganzoo installed editable: the script writes into
the checkout it lives in. For each recipe ``ganzoo/pretrained/recipes/NAME.yaml`` (a plain
``ganzoo train`` config) and each of ``--seeds`` seeds (the recipe's seed and the next ones),
`ganzoo.zoo.seeds.run_seed` trains it into ``runs/zoo/NAME/seed-S`` (resuming an unfinished
run), scores every checkpoint with the key metric on set-aside training data (never the test
split the card's figures use) and keeps the best, rounds the generator as it ships (fp16 when
that changes no sample by more than 2/255, else fp32) and evaluates it with the pinned protocol
of ``ganzoo.metrics``; ``ganzoo reproduce`` runs the same function. The recipe's own seed ships:
its weights go into ``ganzoo/pretrained/weights/``, its sample grid under ``docs/img/models/``;
``ganzoo/pretrained/zoo.json`` (which the built-in plugin registers) records sha256, size, its
metrics, how its checkpoint was chosen, the mean, spread and tolerance band over the seeds, the
licence and the run's wall time and hardware, and ``docs/models.md`` is re-rendered. The Hub
copy (repo ``ganzoo/NAME``) is pushed with ``ganzoo push NAME --repo ganzoo/NAME``; the sha256
pins both copies to the same bytes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ganzoo.zoo.selection import SelectionSettings

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "ganzoo"
PRETRAINED = PACKAGE / "pretrained"
RECIPES = PRETRAINED / "recipes"
WEIGHTS = PRETRAINED / "weights"
ZOO = PRETRAINED / "zoo.json"
DOCS_IMG = REPO / "docs" / "img" / "models"
DOCS_MODELS = REPO / "docs" / "models.md"
HUB_OWNER = "ganzoo"
KEY_METRIC = {"image": "score", "points": "modes"}
SEEDS = 3
"""Seeds a card's spread is measured over (the recipe's and the next ones)."""
SELECT_N = 2_000
"""Samples each checkpoint is scored on when neither the command nor the card says."""


def key_metric(modality: str, metrics: dict[str, float]) -> str:
    """The metric ``ganzoo list models`` shows: MNIST score where there is one, else modes."""
    key = KEY_METRIC[modality]
    return key if key in metrics else "modes"


def recipe_names() -> list[str]:
    """Every recipe in ``recipes/``."""
    return sorted(p.stem for p in RECIPES.glob("*.yaml"))


def project_license() -> str:
    """The project's licence (pyproject's ``license``), which the weights carry too."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lic = project["license"]
    return lic if isinstance(lic, str) else lic.get("text", "")


def selection_metric(data: str) -> str:
    """The key metric a recipe's checkpoints are chosen by: MNIST score, else modes, else FID."""
    from ganzoo.building import dataset_spec
    from ganzoo.errors import ConfigError
    from ganzoo.zoo.selection import metric_entry

    preferred = (KEY_METRIC[dataset_spec(data).modality], "modes", "fid")
    for key in preferred:
        try:
            metric_entry(key, data)
            return key
        except ConfigError:
            continue
    raise SystemExit(f"no selection metric fits {data}; pass --select-metric")


def export(name: str, result: Any) -> Path:
    """Write the shipped generator's weights (as `shipped_model` rounded them) to ``weights/``."""
    import copy

    from ganzoo.weights import save_module

    path = WEIGHTS / f"{name}.generator.safetensors"
    generator = copy.deepcopy(result.model.generator)
    # no extra metadata: safetensors writes it in random order, which would change the sha256
    save_module(generator.half() if result.export["dtype"] == "float16" else generator, path)
    return path


def shipped_role(result: Any, ema: float | None) -> str:
    """``ema_generator`` when the shipped generator is the run's EMA, else ``generator``.

    The shipped model is the chosen checkpoint's EMA when that checkpoint kept one (as
    `ganzoo.loading.run_dir.load_run_model` loads it), G as trained otherwise.
    """
    from ganzoo.zoo.selection import best_checkpoint

    if result.selection is not None:
        kept = (best_checkpoint(result.run_dir) / "ema_generator.safetensors").is_file()
        return "ema_generator" if kept else "generator"
    return "ema_generator" if ema else "generator"


def record(name: str, results: list[Any], weights: Path) -> dict[str, Any]:
    """The zoo.json entry (a ModelSpec plus the evaluation details) of one model.

    ``results`` are the seeds' `SeedResult`s, the shipped one first.
    """
    from ganzoo.building import dataset_spec
    from ganzoo.images import save_samples
    from ganzoo.training.rundir import read_run_config
    from ganzoo.weights import sha256_file
    from ganzoo.zoo.spread import seed_spread

    shipped = results[0]
    run_dir, model = shipped.run_dir, shipped.model
    metrics, floors = shipped.evaluation.metrics, shipped.evaluation.floors
    config = read_run_config(run_dir)
    run = json.loads((run_dir / "run.json").read_text())
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    save_samples(model.sample(64, seed=0), DOCS_IMG / f"{name}.png")
    modality = model.data.modality
    spread = (
        seed_spread(
            [r.seed for r in results],
            [r.metrics for r in results],
            shipped.seed,
            [r.step for r in results],
        ).model_dump(mode="json")
        if len(results) > 1
        else None
    )
    chosen = (
        f"step {shipped.step} of {run['step']}" if shipped.selection else f"{run['step']} steps"
    )
    return {
        "name": name,
        "summary": f"{config.architecture} trained on {config.data} ({chosen}).",
        "architecture": config.architecture,
        "config": config.architecture_options,
        "dataset": config.data,
        # the built data's spec when its options changed it (MNIST at 32 px), so load sizes G
        "dataset_spec": (
            model.data.model_dump(mode="json") if model.data != dataset_spec(config.data) else None
        ),
        "weights": [
            {
                "role": shipped_role(shipped, config.ema),
                "repo_id": f"{HUB_OWNER}/{name}",
                "revision": "main",
                "filename": "generator.safetensors",
                "sha256": sha256_file(weights),
                "size": weights.stat().st_size,
                "bundled": str(weights.relative_to(PACKAGE)),
            }
        ],
        "metrics": {k: round(v, 4) for k, v in metrics.items()},
        "key_metric": key_metric(modality, metrics),
        "reproduce": f"ganzoo reproduce {name} --seeds {len(results)} --check",
        "recipe": f"pretrained/recipes/{name}.yaml",
        "selection": shipped.selection.model_dump(mode="json") if shipped.selection else None,
        "spread": spread,
        "license": project_license(),
        "training": {
            "steps": run["step"],
            "wall_seconds": run["wall_seconds"],
            "images_per_second": run["images_per_second"],
            "hardware": run["hardware"],
            "device": run["device"],
            "torch": run["torch"],
            "batch_size": config.batch_size,
            "amp": config.amp,  # as the run resolved it: an ``auto`` recipe's choice on this machine
            "loss": config.loss,
            "ema": config.ema,
            "seed": shipped.seed,
            **shipped.export,
            "floors": {k: round(v, 4) for k, v in floors.items()},
            "protocol": {
                **shipped.evaluation.protocol.model_dump(mode="json"),
                # what the checkpoint choice saw: never the reference_split above
                "selection_data": shipped.selection.reference if shipped.selection else None,
            },
        },
        "tags": ["pretrained", config.architecture, config.data or ""],
    }


def sibling(name: str) -> ModuleType:
    """The maintainer module ``tools/NAME.py`` (this script runs from a path, not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def models_doc(zoo: dict[str, Any]) -> str:
    """``docs/models.md`` rendered from ``zoo`` (``tools/zoo_docs.py``), recipes read under PACKAGE."""
    text: str = sibling("zoo_docs").models_doc(zoo, PACKAGE)
    return text


def read_zoo() -> dict[str, Any]:
    """The current ``zoo.json`` (an empty zoo when there is none yet)."""
    return json.loads(ZOO.read_text()) if ZOO.is_file() else {"models": []}


def fine_tuning_parts(
    name: str, run_dir: Path, weights: list[dict[str, Any]], runs_dir: Path
) -> list[dict[str, Any]]:
    """The entry's pins with the chosen checkpoint's D (and G beside an EMA) added, Hub-only.

    ``tools/zoo_parts.py``'s `checkpoint_parts`; the files to upload to the Hub repo go to
    ``runs_dir/NAME/hub``.
    """
    from ganzoo.zoo.selection import best_checkpoint

    pins: list[dict[str, Any]] = sibling("zoo_parts").checkpoint_parts(
        best_checkpoint(run_dir), weights, runs_dir / name / "hub", package=PACKAGE
    )
    return pins


def recipe(name: str) -> dict[str, Any]:
    """The committed recipe ``name`` as a ``ganzoo train`` config dict."""
    from ganzoo.training.config import load_config_file

    return load_config_file(RECIPES / f"{name}.yaml")


def selection_settings(
    name: str,
    data: str,
    metric: str | None = None,
    n: int | None = None,
    limits: dict[str, float] | None = None,
) -> SelectionSettings:
    """How recipe ``name``'s checkpoints are chosen: the given metric, sample count and limits,
    else those of the model's current card (zoo.json), else the key metric on 2,000 samples
    with no limits.

    A rebuild without ``--select-*`` thus chooses as the card it replaces did (and as
    ``ganzoo reproduce`` does), whatever options that card was built with.
    """
    from ganzoo.zoo.selection import SelectionSettings

    card = next((m for m in read_zoo()["models"] if m["name"] == name), {}).get("selection")
    if metric is None:
        metric = card["metric"] if card else selection_metric(data)
    if n is None:
        n = card["n"] if card and card["metric"] == metric else SELECT_N
    if limits is None:
        limits = card.get("limits", {}) if card and card["metric"] == metric else {}
    return SelectionSettings(metric, n=n, limits=limits)


def parse_limits(items: list[str] | None) -> dict[str, float] | None:
    """``--select-limit KEY=VALUE`` options as a dict (None when none was given).

    Raises:
        SystemExit: An item is not ``KEY=NUMBER`` or names a metric of unknown direction.
    """
    from ganzoo.errors import ConfigError
    from ganzoo.metric_keys import higher_is_better

    if not items:
        return None
    limits = {}
    for item in items:
        key, _, value = (part.strip() for part in item.partition("="))
        try:
            limits[key] = float(value)
            if not math.isfinite(limits[key]):
                raise ValueError(value)
        except ValueError:
            raise SystemExit(f"--select-limit {item!r}: write KEY=NUMBER, e.g. kl=0.02") from None
        try:
            higher_is_better(key)
        except ConfigError as err:
            raise SystemExit(f"--select-limit {item!r}: {err}") from None
    return limits


def build_seed(
    name: str,
    seed: int,
    runs_dir: Path,
    data_root: str | None,
    select_metric: str | None = None,
    select_n: int | None = None,
    eval_n: int | None = None,
    select_limits: dict[str, float] | None = None,
) -> Any:
    """Train recipe ``name`` with ``seed`` into ``runs_dir/NAME/seed-S``, choose, evaluate.

    A finished run there is reused and an unfinished one resumed, so seeds trained by separate
    ``--only-seed`` processes are what a later ``build`` of the card reads. The checkpoint
    choice is `selection_settings`'. Returns the `ganzoo.zoo.seeds.SeedResult` and prints its
    figures.
    """
    from ganzoo.building import architecture_spec
    from ganzoo.zoo.seeds import run_seed

    base = recipe(name)
    data = base.get("data") or architecture_spec(base["architecture"]).default_data
    settings = selection_settings(name, data, select_metric, select_n, select_limits)
    result = run_seed(
        base,
        seed,
        runs_dir / name / f"seed-{seed}",
        data_root=data_root,
        selection=settings,
        n=eval_n,
    )
    print(f"{name} seed {seed} (step {result.step}): {json.dumps(result.metrics)}", flush=True)
    return result


def build(
    name: str,
    runs_dir: Path,
    data_root: str | None,
    seeds: int = SEEDS,
    select_metric: str | None = None,
    select_n: int | None = None,
    eval_n: int | None = None,
    hub_parts: bool = True,
    jobs: int = 1,
    select_limits: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Train ``seeds`` seeds of recipe ``name``, choose, export, evaluate and record the first.

    Rewrites zoo.json and docs/models.md. ``eval_n`` None: the pinned protocol's sample count
    (10,000 images); fewer only for a trial build, never for a card that ships. ``hub_parts``
    False pins the bundled generator only: no Hub-only D (and G beside an EMA) that a machine
    without Hub access could not publish. ``jobs`` > 1 trains that many seeds at a time, each in
    its own process with its share of the threads (`ganzoo.zoo.jobs.run_seeds`).
    """
    from ganzoo.zoo.jobs import run_seeds

    first = int(recipe(name).get("seed", 0))
    one = partial(
        build_seed,
        name,
        runs_dir=runs_dir,
        data_root=data_root,
        select_metric=select_metric,
        select_n=select_n,
        eval_n=eval_n,
        select_limits=select_limits,
    )
    # the recipe's own seed first: its weights ship
    results = run_seeds(one, range(first, first + seeds), jobs)
    weights = export(name, results[0])
    entry = record(name, results, weights)
    if hub_parts:
        entry["weights"] = fine_tuning_parts(name, results[0].run_dir, entry["weights"], runs_dir)
    zoo = read_zoo()  # read late: another build may have written
    entries = {m["name"]: m for m in zoo["models"]}
    entries[name] = {k: v for k, v in entry.items() if v is not None}
    zoo["models"] = [entries[k] for k in sorted(entries)]
    ZOO.write_text(json.dumps(zoo, indent=1) + "\n")
    DOCS_MODELS.write_text(models_doc(zoo))
    return entry


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: build the named recipes (default: all), or list them, or the docs only."""
    parser = argparse.ArgumentParser(
        description="Train, export, evaluate and pin the pretrained zoo."
    )
    parser.add_argument("names", nargs="*", help="recipes to build (default: all)")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/zoo"))
    parser.add_argument("--data-root", default=None)
    parser.add_argument(
        "--seeds",
        type=int,
        default=SEEDS,
        help=f"seeds to train: the recipe's and the next ones; the card records their mean, "
        f"spread and tolerance band (default {SEEDS}; 1 writes no spread)",
    )
    parser.add_argument(
        "--select-metric",
        default=None,
        help="metric key the checkpoints are chosen by (default: the current card's, else "
        "the key metric: MNIST score, else modes)",
    )
    parser.add_argument(
        "--select-n",
        type=int,
        default=None,
        help=f"samples each checkpoint is scored on (default: the current card's for the same "
        f"metric, else {SELECT_N:,})",
    )
    parser.add_argument(
        "--select-limit",
        action="append",
        metavar="KEY=VALUE",
        help="a bound a checkpoint must meet to be chosen, e.g. kl=0.02 (at most, for a "
        "lower-is-better key) or modes=10 (at least); repeatable; the best by the selection "
        "metric among the checkpoints that meet them all is chosen (default: the current "
        "card's limits for the same metric, else none)",
    )
    parser.add_argument(
        "--eval-n",
        type=int,
        default=None,
        help="samples of the final evaluation (default: the pinned protocol's 10,000; fewer "
        "only for a trial build into another checkout)",
    )
    parser.add_argument(
        "--no-hub-parts",
        action="store_true",
        help="pin the bundled generator only, not the checkpoint's D (and non-EMA G) as "
        "Hub-only parts: for a build that cannot be pushed to the Hub",
    )
    parser.add_argument(
        "--only-seed",
        type=int,
        default=None,
        metavar="S",
        help="train, choose and evaluate seed S alone and write no card: run seeds in "
        "parallel processes, then build with --seeds K, which reuses their finished runs",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="seeds trained at a time, each in its own process with its share of the CPU "
        "threads (default 1: one after another)",
    )
    parser.add_argument("--list", action="store_true", help="print the recipe names and exit")
    parser.add_argument(
        "--docs-only",
        action="store_true",
        help="re-render docs/models.md from zoo.json without training or evaluating",
    )
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(recipe_names()))
        return
    if args.docs_only:
        DOCS_MODELS.write_text(models_doc(read_zoo()))
        print(f"wrote {DOCS_MODELS}")
        return
    for name in args.names:  # every name is checked before the first (long) build starts
        if not (RECIPES / f"{name}.yaml").is_file():
            raise SystemExit(f"no recipe {name!r}; recipes: {', '.join(recipe_names())}")
    if args.seeds < 1 or args.jobs < 1 or (args.select_n is not None and args.select_n < 1):
        raise SystemExit("--seeds, --jobs and --select-n must be at least 1")
    limits = parse_limits(args.select_limit)
    if args.only_seed is not None:
        for name in args.names or recipe_names():
            build_seed(
                name,
                args.only_seed,
                args.runs_dir,
                args.data_root,
                args.select_metric,
                args.select_n,
                args.eval_n,
                limits,
            )
        return
    for name in args.names or recipe_names():
        entry = build(
            name,
            args.runs_dir,
            args.data_root,
            args.seeds,
            args.select_metric,
            args.select_n,
            args.eval_n,
            hub_parts=not args.no_hub_parts,
            jobs=args.jobs,
            select_limits=limits,
        )
        print(f"{name}: {json.dumps(entry['metrics'])}", flush=True)


def run(argv: list[str] | None = None) -> int:
    """`main`, with ganzoo's own errors (bad input, an interrupted seed) as one line on stderr.

    Returns:
        The exit status: 0, or the error's own (130/143 for an interrupted seed, else 1).
    """
    from ganzoo.errors import GanzooError

    try:
        main(argv)
    except GanzooError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        code = getattr(err, "exit_code", 1)
        return code if isinstance(code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
