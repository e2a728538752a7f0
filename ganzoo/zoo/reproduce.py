"""``ganzoo reproduce``: run a model's committed recipe for K seeds and compare with its card.

Each seed runs `ganzoo.zoo.seeds.run_seed`, the path the zoo build took to write the card: the
recipe trained with that seed, the checkpoint chosen as the card's ``selection`` says, the
generator rounded as it ships, and the evaluation with the card's pinned protocol. `check`
compares the mean over the seeds with the card's tolerance band.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.loading.pretrained import package_dir
from ganzoo.registry import get_registry
from ganzoo.specs import ModelSpec
from ganzoo.training.config import load_config_file
from ganzoo.zoo.jobs import run_seeds
from ganzoo.zoo.seeds import SeedResult, run_seed
from ganzoo.zoo.selection import Scorer, SelectionSettings
from ganzoo.zoo.spread import mean_std, outside_band

RECIPES = "pretrained/recipes"
"""Where the built-in recipes are, relative to the ganzoo package."""


def model_card(name: str) -> ModelSpec:
    """The registered pretrained model ``name`` (an unknown name suggests close ones)."""
    spec = get_registry().get(name, "model").spec
    assert isinstance(spec, ModelSpec)
    return spec


def recipe_path(spec: ModelSpec) -> Path:
    """The committed recipe of ``spec``: its ``recipe`` field, else ``pretrained/recipes/NAME.yaml``.

    Raises:
        ConfigError: The model has no recipe file.
    """
    rel = spec.recipe or f"{RECIPES}/{spec.name}.yaml"
    path = Path(rel) if Path(rel).is_absolute() else package_dir() / rel
    if not path.is_file():
        raise ConfigError(
            f"model {spec.name!r} has no committed recipe ({path} does not exist): only models "
            "whose card names a recipe can be reproduced"
        )
    return path


def load_recipe(spec: ModelSpec) -> dict[str, Any]:
    """The recipe of ``spec`` as a ``ganzoo train`` config dict."""
    return load_config_file(recipe_path(spec))


@dataclass(frozen=True)
class Plan:
    """What a reproduction of a card runs: seeds, checkpoint choice, evaluation protocol."""

    seeds: tuple[int, ...]
    selection: SelectionSettings | None
    n: int | None
    protocol_seed: int


def plan(spec: ModelSpec, recipe: dict[str, Any], seeds: int, n: int | None = None) -> Plan:
    """The reproduction of ``spec``: the recipe's seed and the next ``seeds - 1``.

    ``n`` None: the card's protocol's sample count.
    """
    if seeds < 1:
        raise ConfigError(f"--seeds must be at least 1; got {seeds}")
    first = int(recipe.get("seed", 0))
    protocol = spec.training.get("protocol") or {}
    selection = SelectionSettings.from_card(spec.selection) if spec.selection else None
    return Plan(
        seeds=tuple(range(first, first + seeds)),
        selection=selection,
        n=n if n is not None else protocol.get("n"),
        protocol_seed=int(protocol.get("seed", 0)),
    )


def is_runs_dir_of(folder: Path, name: str) -> bool:
    """Whether ``folder`` holds ``NAME/seed-S`` runs and no ``seed-S`` run of its own.

    That is ``tools/build_zoo.py``'s ``--runs-dir`` layout: the runs of ``name`` are in
    ``folder/NAME``, which is what ``ganzoo reproduce --out`` names.
    """
    folder = Path(folder)

    def has_runs(where: Path) -> bool:
        return any((p / "config.json").is_file() for p in where.glob("seed-*"))

    return has_runs(folder / name) and not has_runs(folder)


def reproduce(
    spec: ModelSpec,
    recipe: dict[str, Any],
    seeds: int,
    out: Path,
    *,
    data_root: str | None = None,
    n: int | None = None,
    scorer: Scorer | None = None,
    quiet: bool = False,
    jobs: int = 1,
) -> list[SeedResult]:
    """Train and evaluate ``recipe`` for ``seeds`` seeds into ``out/seed-S`` as ``spec``'s card says.

    Args:
        spec: The model's card.
        recipe: Its recipe (possibly with overrides).
        seeds: How many seeds: the recipe's and the next ones.
        out: Parent folder of the runs (finished runs there are reused, unfinished ones resumed).
        data_root: Folder holding the data sets (default ``$GANZOO_DATA``).
        n: Samples of the evaluation (None: the card's protocol's).
        scorer: Scores checkpoints in place of the card's selection metric (tests).
        quiet: No training progress lines.
        jobs: Seeds trained at a time, each in its own process with its share of this
            process's torch threads (`ganzoo.zoo.jobs.run_seeds`); 1 trains them here, one
            after another.
    """
    p = plan(spec, recipe, seeds, n)
    one = partial(
        _run_one,
        recipe,
        Path(out),
        data_root=data_root,
        selection=p.selection,
        scorer=scorer,
        n=p.n,
        protocol_seed=p.protocol_seed,
        quiet=quiet,
    )
    return run_seeds(one, p.seeds, jobs)


def _run_one(recipe: dict[str, Any], out: Path, seed: int, **options: Any) -> SeedResult:
    """`run_seed` of ``recipe`` with ``seed`` into ``out/seed-S`` (a picklable job)."""
    return run_seed(recipe, seed, out / f"seed-{seed}", **options)


def means(results: list[SeedResult]) -> dict[str, float]:
    """The mean over the seeds of every metric all of them have."""
    keys = [k for k in results[0].metrics if all(k in r.metrics for r in results)]
    return {k: mean_std([r.metrics[k] for r in results])[0] for k in keys}


def table_rows(spec: ModelSpec, results: list[SeedResult]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows: one per seed, the mean and spread, the card's figures and band."""
    keys = [k for k in results[0].metrics if all(k in r.metrics for r in results)]
    headers = ["run", "step", *keys]
    rows = [
        [f"seed {r.seed}", str(r.step), *(f"{r.metrics[k]:.4g}" for k in keys)] for r in results
    ]
    stats = {k: mean_std([r.metrics[k] for r in results]) for k in keys}
    rows.append(["mean", "", *(f"{stats[k][0]:.4g}" for k in keys)])
    if len(results) > 1:
        rows.append(["std", "", *(f"{stats[k][1]:.3g}" for k in keys)])
    rows.append(
        ["card", "", *(f"{spec.metrics[k]:.4g}" if k in spec.metrics else "-" for k in keys)]
    )
    if spec.spread is not None:
        sp = spec.spread
        rows.append(
            [
                f"card mean ({len(sp.seeds)} seeds)",
                "",
                *(f"{sp.mean[k]:.4g} +- {sp.std[k]:.2g}" if k in sp.mean else "-" for k in keys),
            ]
        )
        rows.append(
            [
                "band",
                "",
                *(
                    f"{sp.band[k][0]:.4g}..{sp.band[k][1]:.4g}" if k in sp.band else "-"
                    for k in keys
                ),
            ]
        )
    return headers, rows


def check(spec: ModelSpec, results: list[SeedResult]) -> list[str]:
    """Where the mean over ``results`` falls outside ``spec``'s tolerance band, one line each.

    Raises:
        ConfigError: The card has no tolerance band (it was built before seeds were recorded).
    """
    if spec.spread is None or not spec.spread.band:
        raise ConfigError(
            f"the card of {spec.name!r} has no tolerance band (it was built from one seed): "
            f"rebuild it with python tools/build_zoo.py --seeds 3 {spec.name}, or drop --check"
        )
    return outside_band(spec.spread.band, means(results))
