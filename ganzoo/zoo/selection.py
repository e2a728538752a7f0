"""Best checkpoint, honestly chosen: score each checkpoint of a run on data the card never uses.

A run trained by the zoo build (or by ``ganzoo reproduce``) has `BestCheckpoint` among its
callbacks: after every checkpoint it loads that checkpoint's generator (the EMA one when the
run keeps one), scores it with one metric on ``n`` samples, records the value in the run's
``selection.json`` and, when it is the best so far, copies the checkpoint to
``best-checkpoint/``. The old checkpoints may be pruned; the best one stays. Settings may add
limits (``kl <= 0.02``): the choice is then the best among the checkpoints that meet them, and
the best of all only when none does. `finish` scores whatever checkpoint the callback did not
see (a run trained before, or resumed without it) and returns the record the card keeps.

The real data the choice compares with is never the split the card's figures are computed on:
for a data set with a test split it is the last ``reference_size`` images of the train split,
for 2-D points a draw of its own (seed 2), and for data without a test split the half of it that
is not the card's reference (see `selection_reference`). Sampling uses a seed other than the
card's protocol's, so the figures are not measured on the samples that chose the checkpoint.
Scoring runs in a forked RNG state, so a run with selection trains to the same weights as one
without.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ganzoo.building import build_entry, dataset_spec, has_option
from ganzoo.card_records import CheckpointSelection
from ganzoo.errors import CheckpointError, ConfigError
from ganzoo.loading.run_dir import load_run_model
from ganzoo.metric_keys import choice_rule, higher_is_better, meets_limits
from ganzoo.metrics.engine import N_REFERENCE
from ganzoo.metrics.resolve import fitting_metrics
from ganzoo.training.callbacks import Callback, RunView
from ganzoo.training.checkpoint import read_manifest
from ganzoo.training.rundir import read_run_config, read_run_info
from ganzoo.weights import atomic_write_bytes

if TYPE_CHECKING:
    from ganzoo.data.tensor_data import TensorData
    from ganzoo.gan import GANModel

SELECTION_FILE = "selection.json"
"""The run directory's record of every checkpoint's score and the best step."""
BEST_DIR = "best-checkpoint"
"""The run directory's copy of the best checkpoint (kept when ``checkpoints/`` is pruned)."""
POINTS_SEED = 2
"""The draw of 2-D points the choice compares with (the card's reference is 1, its floor 0)."""
STACKED_SEED = 1
"""The draw of stacked-MNIST train images the choice compares with (the floor's is 0)."""

Scorer = Callable[["GANModel"], "float | Mapping[str, float]"]
"""Scores one checkpoint's model: the selection metric's value, or a mapping of metric keys to
values that holds the selection metric's and each limited key's."""


@dataclass(frozen=True)
class SelectionSettings:
    """How checkpoints are scored: metric key, sample budget, sampling seed, real data size.

    Attributes:
        metric: The metric key to optimise (``score``, ``fid``, ``modes``, ...).
        n: Generated samples per checkpoint.
        seed: Their sampling seed (not the card's protocol's, 0).
        reference_size: Real samples set aside for the choice (evaluation compares with half of
            them when they come without a test split of their own).
        limits: Bounds a checkpoint must meet to be chosen, per metric key: at most the bound
            for a lower-is-better key (``{"kl": 0.02}``), at least it for a higher-is-better
            one (``{"modes": 10}``), measured on the same samples as the metric.
    """

    metric: str
    n: int = 2_000
    seed: int = 1
    reference_size: int = N_REFERENCE
    limits: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check the settings: metrics of known direction, positive sizes, finite bounds."""
        higher_is_better(self.metric)  # a metric of unknown direction fails before training
        if self.n < 1 or self.reference_size < 1:
            raise ConfigError("selection n and reference_size must be at least 1")
        for key, bound in self.limits.items():
            higher_is_better(key)
            if not isinstance(bound, int | float) or bound != bound or abs(bound) == float("inf"):
                raise ConfigError(f"selection limit {key}={bound!r}: give a finite number")
        object.__setattr__(self, "limits", {k: float(v) for k, v in self.limits.items()})

    @property
    def keys(self) -> list[str]:
        """The metric keys each checkpoint is scored on: the metric, then the limited ones."""
        return list(dict.fromkeys([self.metric, *self.limits]))

    def record(self) -> dict[str, Any]:
        """The settings as ``selection.json`` keeps them.

        Without limits there is no ``limits`` entry, as in files written before limits existed.
        """
        out = asdict(self)
        if not self.limits:
            del out["limits"]
        return out

    def rule(self) -> str:
        """How the choice is made, in words (`ganzoo.metric_keys.choice_rule`)."""
        return choice_rule(self.metric, self.limits)

    @property
    def higher_is_better(self) -> bool:
        """Whether a higher value of the metric is better."""
        return higher_is_better(self.metric)

    @classmethod
    def from_card(cls, selection: CheckpointSelection) -> SelectionSettings:
        """The settings a card's selection record was made with."""
        return cls(
            selection.metric,
            selection.n,
            selection.seed,
            selection.reference_size,
            dict(selection.limits),
        )


def selection_reference(
    data: str, data_options: dict[str, Any], data_root: str | None, size: int
) -> tuple[TensorData, str]:
    """The real samples the choice compares with, and a line saying which they are.

    Never the card's reference: a data set with a test split gives the last ``size`` images of
    its train split; 2-D points a draw with seed `POINTS_SEED`; stacked MNIST ``size`` train
    images drawn with seed `STACKED_SEED`; data without a test split the samples after the first
    half of its seed-0 permutation (the card's reference is that first half).
    """
    from ganzoo.data.tensor_data import TensorData

    spec = dataset_spec(data)
    opts = {k: v for k, v in data_options.items() if k not in {"limit", "download", "train"}}
    if data_root is not None and has_option(data, "root"):
        opts.setdefault("root", data_root)
    if spec.modality == "points":
        opts.pop("seed", None)
        built = build_entry(data, limit=size, seed=POINTS_SEED, **opts)
        return built, f"{data}: a fresh draw of {len(built)} points (seed {POINTS_SEED})"
    if has_option(data, "train"):
        if has_option(data, "size") and has_option(data, "seed"):
            opts.update(size=size, seed=STACKED_SEED)
            built = build_entry(data, train=True, **opts)
            return built, f"{data} train split: {len(built)} images drawn with seed {STACKED_SEED}"
        built = build_entry(data, train=True, **opts)
        total = len(built)
        start = max(0, total - size)
        part = TensorData(
            built.x[start:], None if built.y is None else built.y[start:], built.spec, built.modes
        )
        return part, f"{data} train split, images {start}-{total - 1} (of {total})"
    built = build_entry(data, **opts)
    total = len(built)
    half = min(N_REFERENCE, total - total // 2)  # the card's reference (ganzoo.metrics.engine)
    perm = torch.randperm(total, generator=torch.Generator().manual_seed(0))
    rest = perm[half : half + size]
    part = TensorData(
        built.x[rest], None if built.y is None else built.y[rest], built.spec, built.modes
    )
    return part, (
        f"{data}: {len(rest)} samples after the card's reference (the first {half} of a "
        f"seed-0 permutation of {total})"
    )


def metric_entry(key: str, data: str) -> str:
    """The registered metric that computes ``key`` on data set ``data``.

    Raises:
        ConfigError: No metric that fits the data computes it.
    """
    spec = dataset_spec(data)
    for metric in fitting_metrics(spec):
        if key in metric.outputs:
            return metric.name
    keys = sorted({k for m in fitting_metrics(spec) for k in m.outputs})
    raise ConfigError(
        f"no metric computes {key!r} on {data}; choose one of {', '.join(keys)} "
        "(ganzoo list metrics)"
    )


class MetricScorer:
    """The default scorer: ``evaluate`` with the selection metric on the set-aside real data.

    Attributes:
        reference: A line saying which real data the scores compared with.
    """

    def __init__(
        self,
        settings: SelectionSettings,
        data: str,
        data_options: dict[str, Any],
        data_root: str | None,
    ) -> None:
        self.settings = settings
        self.entries = list(dict.fromkeys(metric_entry(key, data) for key in settings.keys))
        self.real, where = selection_reference(
            data, data_options, data_root, settings.reference_size
        )
        total = len(self.real)
        half = min(N_REFERENCE, total - total // 2)  # what evaluate compares with (engine)
        self.reference = f"{where}; compared with {half} of them (a seed-0 permutation's first)"

    def __call__(self, model: GANModel) -> dict[str, float]:
        """The values for ``model`` of the metric and of each limited key."""
        from ganzoo.metrics.engine import evaluate

        s = self.settings
        result = evaluate(model, self.real, metrics=self.entries, n=s.n, seed=s.seed, floors=False)
        if result.protocol.reference_split == "test":  # the guard this module exists for
            raise ConfigError("checkpoint selection compared with the test split")
        return {key: float(result.metrics[key]) for key in s.keys}


def _read(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / SELECTION_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
        record["scores"] = {int(k): float(v) for k, v in record["scores"].items()}
        limited = record.get("limited", {})
        record["limited"] = {
            int(k): {key: float(v) for key, v in vals.items()} for k, vals in limited.items()
        }
        return record
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise CheckpointError(
            f"{path} is corrupt ({err}); delete it and {BEST_DIR}/ to score the checkpoints again"
        ) from None


def _write(run_dir: Path, record: dict[str, Any]) -> None:
    out = {**record, "scores": {str(k): v for k, v in sorted(record["scores"].items())}}
    if record["limited"]:
        out["limited"] = {str(k): v for k, v in sorted(record["limited"].items())}
    else:
        del out["limited"]
    atomic_write_bytes(run_dir / SELECTION_FILE, (json.dumps(out, indent=1) + "\n").encode())


def _copy_best(run_dir: Path, checkpoint: Path) -> None:
    """Copy ``checkpoint`` to ``best-checkpoint/`` (under a temporary name, then renamed)."""
    tmp = run_dir / f".tmp-{BEST_DIR}"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(checkpoint, tmp)
    old = run_dir / f".old-{BEST_DIR}"
    shutil.rmtree(old, ignore_errors=True)
    best = run_dir / BEST_DIR
    if best.exists():
        os.replace(best, old)
    os.replace(tmp, best)
    shutil.rmtree(old, ignore_errors=True)


def on_schedule(run_dir: Path, step: int) -> bool:
    """Whether the run's recipe writes a checkpoint at ``step``: each ``checkpoint_every``-th.

    The last step's too. The checkpoint an interrupted run saves where it stopped is not a
    candidate: a run of the recipe that was never interrupted has no checkpoint there, so
    choosing it could not be reproduced. A run folder without its config or status file counts
    every step.
    """
    try:
        every = read_run_config(run_dir).checkpoint_every
        total = read_run_info(run_dir).get("total_steps")
    except (CheckpointError, OSError, ValueError):
        return True
    return step % every == 0 or step == total


def _values(scored: float | Mapping[str, float], settings: SelectionSettings) -> dict[str, float]:
    """A scorer's answer as values per key, checked to hold the metric and every limited key."""
    if not isinstance(scored, Mapping):
        scored = {settings.metric: scored}
    missing = [key for key in settings.keys if key not in scored]
    if missing:
        raise ConfigError(f"the checkpoint scorer gave no value for {', '.join(missing)}")
    return {key: float(scored[key]) for key in settings.keys}


def _rank(record: dict[str, Any], step: int, settings: SelectionSettings) -> tuple:
    """What the choice maximises: meeting the limits, the metric (NaN last), the later step."""
    meets = meets_limits(settings.limits, record["limited"].get(step, {}))
    value = record["scores"][step]
    sign = 1.0 if settings.higher_is_better else -1.0
    return (meets, -math.inf if math.isnan(value) else sign * value, step)


def consider(
    run_dir: Path, checkpoint: Path, settings: SelectionSettings, scorer: Scorer, reference: str
) -> float:
    """Score ``checkpoint`` (unless it was scored already) and keep it if it is the best so far.

    The best is the one with the best metric among the checkpoints that meet the settings'
    limits (among all of them while none does); a tie keeps the later step. Returns the
    checkpoint's value of the metric; NaN, unscored, for a checkpoint off the recipe's schedule
    (`on_schedule`).

    Raises:
        ConfigError: The run's ``selection.json`` was made with other settings.
    """
    run_dir = Path(run_dir)
    step = int(read_manifest(Path(checkpoint))["step"])
    if not on_schedule(run_dir, step):
        return float("nan")
    wanted = {"settings": settings.record(), "reference": reference}
    record = _read(run_dir) or {**wanted, "scores": {}, "limited": {}, "best": None}
    if record.get("settings") != wanted["settings"]:
        raise ConfigError(
            f"{run_dir / SELECTION_FILE} was scored with {record.get('settings')}, not "
            f"{wanted['settings']}: delete it and {BEST_DIR}/ to score the checkpoints again"
        )
    if step in record["scores"]:
        return record["scores"][step]
    with torch.random.fork_rng():
        values = _values(scorer(load_run_model(run_dir, checkpoint=checkpoint)), settings)
    record["scores"][step] = values[settings.metric]
    if settings.limits:
        record["limited"][step] = {key: values[key] for key in settings.limits}
    record["reference"] = reference
    best = max(record["scores"], key=lambda s: _rank(record, s, settings))
    if best == step:  # only the new checkpoint can overtake: the others' ranks stand
        _copy_best(run_dir, Path(checkpoint))
        record["best"] = step
    _write(run_dir, record)
    return values[settings.metric]


class BestCheckpoint(Callback):
    """A training callback that scores each checkpoint and keeps the best one (`consider`)."""

    def __init__(self, settings: SelectionSettings, scorer: Scorer, reference: str) -> None:
        self.settings, self.scorer, self.reference = settings, scorer, reference

    def on_checkpoint(self, trainer: RunView, path: Path) -> None:
        """Score the checkpoint just written."""
        consider(trainer.run_dir, path, self.settings, self.scorer, self.reference)


def finish(
    run_dir: Path, settings: SelectionSettings, scorer: Scorer, reference: str
) -> CheckpointSelection:
    """Score the run's checkpoints not scored yet; the record of the choice.

    Raises:
        CheckpointError: The run has no checkpoint, or its best copy is missing.
    """
    run_dir = Path(run_dir)
    folders = sorted(p for p in (run_dir / "checkpoints").glob("step-*") if p.is_dir())
    for folder in folders:
        consider(run_dir, folder, settings, scorer, reference)
    record = _read(run_dir)
    if record is None or record["best"] is None:
        raise CheckpointError(f"{run_dir} has no checkpoint to choose from")
    if not (run_dir / BEST_DIR).is_dir():
        raise CheckpointError(
            f"{run_dir / BEST_DIR} is missing: delete {SELECTION_FILE} to score the checkpoints again"
        )
    steps = sorted(record["scores"])
    limited = record["limited"]
    return CheckpointSelection(
        metric=settings.metric,
        higher_is_better=settings.higher_is_better,
        steps=tuple(steps),
        values=tuple(round(record["scores"][s], 4) for s in steps),
        chosen_step=record["best"],
        n=settings.n,
        seed=settings.seed,
        reference=record["reference"],
        reference_size=settings.reference_size,
        limits=dict(settings.limits),
        limit_values={
            key: tuple(round(limited.get(s, {}).get(key, math.nan), 4) for s in steps)
            for key in settings.limits
        },
    )


def best_checkpoint(run_dir: Path) -> Path:
    """The folder of the run's chosen checkpoint (``best-checkpoint/``)."""
    return Path(run_dir) / BEST_DIR
