"""One seed of a recipe: train it, choose its best checkpoint, evaluate it as it ships.

`run_seed` is the path both ``tools/build_zoo.py`` (which writes a card) and ``ganzoo reproduce``
(which checks one) take, so a card's figures and a reproduction's are measured the same way:
the recipe trained with the seed, `ganzoo.zoo.selection` choosing the checkpoint, the generator
rounded as it ships (`shipped_model`), and `evaluate_pinned` with the card's protocol.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.building import architecture_spec
from ganzoo.card_records import CheckpointSelection
from ganzoo.errors import ConfigError
from ganzoo.loading.run_dir import load_run_model
from ganzoo.training.callbacks import Callback, MetricsLogger, PlainLog
from ganzoo.training.config import TrainConfig, make_train_config
from ganzoo.training.rundir import RUN_INFO, read_run_config, read_run_info
from ganzoo.zoo.selection import (
    BestCheckpoint,
    MetricScorer,
    Scorer,
    SelectionSettings,
    best_checkpoint,
    finish,
)

if TYPE_CHECKING:
    from ganzoo.gan import GANModel
    from ganzoo.metrics.engine import EvaluationResult

FP16_TOLERANCE = 2 / 255
"""fp16 weights ship when no sample moves by more than this ([-1, 1] spans 255 grey levels / 2)."""


@dataclass
class SeedResult:
    """What one seed of a recipe gave.

    Attributes:
        seed: The training seed.
        run_dir: Its run directory.
        model: The chosen checkpoint's model, its generator rounded as it ships.
        selection: How the checkpoint was chosen (None: the run's last one).
        evaluation: The pinned evaluation of ``model``.
        export: The shipped dtype and the largest sample change it makes.
    """

    seed: int
    run_dir: Path
    model: GANModel
    selection: CheckpointSelection | None
    evaluation: EvaluationResult
    export: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, float]:
        """The evaluation's metric values."""
        return dict(self.evaluation.metrics)

    @property
    def step(self) -> int:
        """The step of the evaluated checkpoint."""
        if self.selection is not None:
            return self.selection.chosen_step
        return int(read_run_info(self.run_dir)["step"])


def seed_config(base: dict[str, Any], seed: int, out: Path, data_root: str | None) -> TrainConfig:
    """The recipe ``base`` (a ``ganzoo train`` config) for ``seed``, writing to ``out``."""
    base = dict(base)
    if data_root:
        base["data_options"] = {**base.get("data_options", {}), "root": data_root}
    return make_train_config(base, out=str(out), seed=seed, diagnostics=[])


BOOKKEEPING = {"out", "log_every", "sample_every", "num_samples", "keep_checkpoints"}
"""Settings that change no trained weight and no checkpoint the selection scores: a run moved
to another folder, logged or sampled at other steps, or keeping other old checkpoints is the
same run."""


def _differences(old: TrainConfig, new: TrainConfig) -> list[str]:
    """The fields ``new`` sets otherwise than the run ``old`` (None: the default it resolved).

    `BOOKKEEPING` fields are not counted. A recipe's ``amp: auto`` matches the run's resolved
    choice (``bf16`` or ``none``: the run records what ``auto`` chose on its machine).
    """
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    if b.get("amp") == "auto":
        b["amp"] = a.get("amp")
    return [k for k in sorted(b) if k not in BOOKKEEPING and b[k] is not None and a.get(k) != b[k]]


EXTENDABLE = {"steps", "lr_schedule", "lr_decay_start", "ema", "ema_start"}
"""What a recipe may change of a run it extends (see `extends`)."""


def extends(old: TrainConfig, new: TrainConfig) -> bool:
    """Whether run ``old`` is the first ``old.steps`` steps of recipe ``new``, bit for bit.

    True when ``new`` only trains longer and, if it decays the learning rate, holds the rate
    until ``old``'s last step (``lr_decay_start >= old.steps``) where ``old`` had a constant rate
    without warm-up, and, if it keeps an EMA that ``old`` did not, starts averaging there
    (``ema_start >= old.steps``; the EMA is a copy of G until then, and an EMA never changes
    G's and D's updates): up to there the two make the same updates, so resuming ``old`` with
    ``new``'s settings gives ``new``'s run (tested in tests/training/test_schedules.py and
    tests/training/test_ema.py).
    """
    changed = set(_differences(old, new))
    same_rate = new.lr_schedule == old.lr_schedule == "constant" or (
        old.lr_schedule == "constant" and old.lr_warmup == 0 and new.lr_decay_start >= old.steps
    )
    same_ema = not ({"ema", "ema_start"} & changed) or (
        old.ema is None and new.ema_start >= (old.steps or 0)
    )
    return (
        bool(changed)
        and changed <= EXTENDABLE
        and old.steps is not None
        and new.steps is not None
        and new.steps > old.steps
        and same_rate
        and same_ema
    )


def train_run(config: TrainConfig, callbacks: list[Callback], quiet: bool = False) -> Path:
    """Train ``config`` into ``config.out``; resume an unfinished run; keep a finished one.

    A run that is the first steps of ``config`` (`extends`: the recipe was made longer, its
    decay starting after the run's last step) is resumed and trained on to ``config``'s end.

    Raises:
        ConfigError: The run directory holds a run of another config.
    """
    from ganzoo.training.interrupts import RunInterrupted
    from ganzoo.training.loop import Trainer

    run_dir = Path(str(config.out))
    extend = False
    if (run_dir / "config.json").is_file():
        old = read_run_config(run_dir)
        changed = _differences(old, config)
        extend = extends(old, config)
        if changed and not extend:
            raise ConfigError(
                f"{run_dir} holds a run of another recipe ({', '.join(changed)} differ): delete "
                "it or choose another output folder"
            )
        info = run_dir / RUN_INFO
        finished = info.is_file() and read_run_info(run_dir).get("status") == "finished"
        if finished and not extend:
            return run_dir
    resume = (run_dir / "checkpoints").is_dir()
    trainer = Trainer.create(config, resume=resume, allow_changes=extend)
    trainer.callbacks += [MetricsLogger(run_dir / "metrics.jsonl"), *callbacks]
    if not quiet:
        trainer.callbacks.append(PlainLog(every=5))
    try:
        trainer.run()
    except RunInterrupted as err:  # resumed by the same command, not by ganzoo train --resume
        raise RunInterrupted(
            f"interrupted by {err.signal_name} at step {trainer.step} of {trainer.total_steps}; "
            f"checkpoint saved in {run_dir}. Run the same command again to resume it",
            err.signal_name,
        ) from None
    return run_dir


def shipped_model(model: GANModel) -> tuple[GANModel, dict[str, Any]]:
    """``model`` with its generator's weights as they ship, and the export record.

    The generator ships as fp16 when that changes no sample (64, seed 0) by more than
    `FP16_TOLERANCE`, else as fp32; the model returned holds exactly the shipped values (in
    fp32), so its figures are the shipped weights' figures.
    """
    ref = model.sample(64, seed=0)
    half = copy.deepcopy(model.generator).half().float()
    shipped = copy.deepcopy(model)
    shipped.generator = half
    diff = float((shipped.sample(64, seed=0) - ref).abs().max())
    if diff > FP16_TOLERANCE:
        return model, {"dtype": "float32", "fp16_max_abs_diff": round(diff, 5)}
    return shipped.eval(), {"dtype": "float16", "fp16_max_abs_diff": round(diff, 5)}


def evaluate_pinned(
    model: GANModel, data_root: str | None, n: int | None = None, seed: int = 0
) -> EvaluationResult:
    """The card's evaluation: every default metric, floors included, with the pinned protocol.

    ``n`` None is the protocol's default (10,000 images, 2,500 points).
    """
    from ganzoo.metrics.engine import evaluate

    return evaluate(model, n=n, seed=seed, data_root=data_root)


def run_seed(
    base: dict[str, Any],
    seed: int,
    out: Path,
    *,
    data_root: str | None = None,
    selection: SelectionSettings | None = None,
    scorer: Scorer | None = None,
    n: int | None = None,
    protocol_seed: int = 0,
    quiet: bool = False,
) -> SeedResult:
    """Train recipe ``base`` with ``seed`` into ``out``, choose the checkpoint, evaluate it.

    Args:
        base: The recipe (a ``ganzoo train`` config as a dict).
        seed: The training seed.
        out: The run directory (an unfinished run there is resumed, a finished one reused).
        data_root: Folder holding the data sets (default ``$GANZOO_DATA``).
        selection: How to choose among the checkpoints (None: the last one).
        scorer: Scores a checkpoint's model (default: `MetricScorer` for ``selection``).
        n: Samples of the pinned evaluation (None: the protocol's default).
        protocol_seed: Sampling seed of the pinned evaluation.
        quiet: No progress lines.
    """
    config = seed_config(base, seed, Path(out), data_root)
    callbacks: list[Callback] = []
    reference = ""
    if selection is not None:
        if scorer is None:
            data = config.data or architecture_spec(config.architecture).default_data
            metric_scorer = MetricScorer(selection, data, dict(config.data_options), data_root)
            scorer, reference = metric_scorer, metric_scorer.reference
        else:
            reference = getattr(scorer, "reference", "given by the caller's scorer")
        callbacks.append(BestCheckpoint(selection, scorer, reference))
    run_dir = train_run(config, callbacks, quiet=quiet)
    record = None
    checkpoint = None
    if selection is not None and scorer is not None:
        record = finish(run_dir, selection, scorer, reference)
        checkpoint = best_checkpoint(run_dir)
    model, export = shipped_model(load_run_model(run_dir, checkpoint=checkpoint))
    evaluation = evaluate_pinned(model, data_root, n=n, seed=protocol_seed)
    return SeedResult(seed, run_dir, model, record, evaluation, export)
