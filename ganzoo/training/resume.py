"""What a resume may change, and how it rewinds a run: settings, checkpoints, metrics rows.

A resumed run keeps the settings that decide what it trains (`PROTECTED`): `config_changes`
lists what a resume would change, and the trainer refuses unless the change is allowed, and
then records it in ``run.json``. ``--from-step N`` rewinds to an earlier kept checkpoint: the
later ones are moved aside into ``checkpoints/superseded/``, never deleted. Rows of
``metrics.jsonl`` after the step a run resumes from (which the resumed run repeats) are moved to
``metrics.superseded.jsonl``, so ``metrics.jsonl`` holds one history and nothing is lost.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import CheckpointError, ConfigError
from ganzoo.training.rundir import read_run_info
from ganzoo.weights import atomic_write_bytes

PROTECTED = (
    "architecture",
    "architecture_options",
    "data",
    "data_options",
    "loss",
    "loss_options",
    "optimizer",
    "batch_size",
    "seed",
    "ema",
    "ema_start",
    "top_k",
    "top_k_anneal",
    "reuse_fakes",
    "augment",
    "augment_options",
    "accumulate",
    "lr_schedule",
    "lr_warmup",
    "lr_decay_start",
)
"""The config fields a resume keeps unless changes are allowed: what is trained, on what, how."""

FREE_DATA_OPTIONS = ("root", "download")
"""Data options that say where the data is, not what it is: a resume may change them."""

SUPERSEDED_METRICS = "metrics.superseded.jsonl"
"""Where rows after the resume step go (the resumed run writes those steps again)."""


ADDED_DEFAULTS: dict[str, Any] = {
    "augment": "none",
    "augment_options": {},
    "accumulate": 1,
    "lr_schedule": "constant",
    "lr_warmup": 0,
    "lr_decay_start": 0,
    "ema_start": 0,
    "top_k": None,
    "top_k_anneal": 0,
}
"""Protected fields newer than some runs: a ``config.json`` without one had this value."""


def _protected(config: dict[str, Any]) -> dict[str, Any]:
    out = {k: config.get(k, ADDED_DEFAULTS.get(k)) for k in PROTECTED}
    data_options = dict(out.get("data_options") or {})
    for key in FREE_DATA_OPTIONS:
        data_options.pop(key, None)
    out["data_options"] = data_options
    for key in ("architecture_options", "loss_options"):
        out[key] = dict(out.get(key) or {})
    opt = out.get("optimizer") or {}
    out["optimizer"] = {k: v for k, v in dict(opt).items() if v is not None}
    return json.loads(json.dumps(out))  # tuples and lists alike


def config_changes(stored: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """The `PROTECTED` fields whose values differ: ``{field: [stored, new]}``.

    Args:
        stored: The run's ``config.json``.
        new: The resolved config of the resume (data set and loss names filled in).
    """
    a, b = _protected(stored), _protected(new)
    return {k: [a[k], b[k]] for k in PROTECTED if a[k] != b[k]}


def describe_changes(changes: dict[str, list[Any]]) -> str:
    """``batch_size 64 -> 32, seed 0 -> 1`` (values shortened)."""
    return ", ".join(f"{k} {_short(old)} -> {_short(new)}" for k, (old, new) in changes.items())


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _world_size(run_dir: Path) -> int:
    try:
        info = read_run_info(run_dir)
        return int(info.get("world_size") or 1)
    except (OSError, ValueError, TypeError, AttributeError):
        return 1


def check_changes(
    run_dir: Path, new: dict[str, Any], allow: bool, world_size: int = 1
) -> dict[str, list[Any]]:
    """The changes a resume makes to the run's settings; refused unless ``allow``.

    ``batch_size`` is each process's batch: what must stay is the global batch, so a run may
    resume on another number of processes with the batch split anew (a change of the global
    batch is named ``global_batch``).

    Args:
        run_dir: The run directory (its ``config.json`` is compared with).
        new: The resolved config of the resume.
        allow: Accept the changes (the trainer records them in ``run.json``).
        world_size: The resume's number of processes.

    Raises:
        ConfigError: Protected settings differ and ``allow`` is False (one line naming each).
    """
    path = Path(run_dir) / "config.json"
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # no readable record: nothing to compare (the run's reader says why)
    if not isinstance(stored, dict):
        return {}
    before = _world_size(Path(run_dir))
    changes = config_changes(stored, new)
    if before != world_size and "batch_size" in changes:
        old, now = stored.get("batch_size"), new.get("batch_size")
        del changes["batch_size"]
        if isinstance(old, int) and isinstance(now, int) and old * before != now * world_size:
            changes["global_batch"] = [old * before, now * world_size]
    if changes and not allow:
        raise ConfigError(
            f"resuming {run_dir} would change what it trains: {describe_changes(changes)}; "
            "resume without those options, or pass --allow-changes to change them (run.json "
            "records the change)"
        )
    return changes


def rewind(folder: Path, step: int) -> list[str]:
    """Make ``step-N`` the newest checkpoint: move the later ones to ``superseded/``.

    Args:
        folder: The run's ``checkpoints`` folder.
        step: The step of a kept checkpoint.

    Returns:
        Where each later checkpoint went, relative to ``folder``.

    Raises:
        CheckpointError: There is no checkpoint of that step (the kept steps are listed).
    """
    folder = Path(folder)
    target = folder / f"step-{step:07d}"
    kept = sorted(p for p in folder.glob("step-*") if p.is_dir())
    if not target.is_dir():
        steps = ", ".join(str(int(p.name.split("-")[1])) for p in kept) or "none"
        raise CheckpointError(
            f"no checkpoint of step {step} in {folder} (kept steps: {steps}); "
            "--from-step takes one of those"
        )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = []
    for path in kept:
        if path.name > target.name:
            dest = folder / "superseded" / f"{path.name}-{stamp}"
            dest.parent.mkdir(exist_ok=True)
            shutil.move(str(path), dest)
            moved.append(str(dest.relative_to(folder)))
    pointer = {"step": step, "path": target.name}
    atomic_write_bytes(folder / "latest.json", json.dumps(pointer).encode())
    return moved


def trim_metrics(run_dir: Path, step: int) -> int:
    """Move the rows of ``metrics.jsonl`` after ``step`` (and torn lines) to the superseded file.

    Args:
        run_dir: The run directory.
        step: The step the run resumes from: rows up to it stay.

    Returns:
        How many rows were moved.
    """
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return 0
    keep, later = [], []
    for line in path.read_text(errors="replace").splitlines():
        try:
            row = json.loads(line)
            after = int(row["step"]) > step
        except (ValueError, KeyError, TypeError):
            after = bool(line.strip())
            if not after:
                continue
        (later if after else keep).append(line)
    if not later:
        return 0
    with open(Path(run_dir) / SUPERSEDED_METRICS, "a") as fh:
        fh.write("".join(line + "\n" for line in later))
    atomic_write_bytes(path, "".join(line + "\n" for line in keep).encode())
    return len(later)


@dataclass
class Restored:
    """Where a resume starts: what `restore` loaded and what it said about it.

    Attributes:
        step: The step the run goes on from (0 when it had no checkpoint).
        consumed: The data position, in the run's global batches.
        checkpoint: The checkpoint's folder name (None: started over from step 0).
        notices: What to tell the user, as ``(kind, message)``.
        segment: What ``run.json`` records of the new segment (where it resumed from, what it
            changed, which checkpoints it passed over or moved aside).
    """

    step: int = 0
    consumed: int = 0
    checkpoint: str | None = None
    notices: list[tuple[str, str]] = field(default_factory=list)
    segment: dict[str, Any] = field(default_factory=dict)


def restore(
    trainer: Any, new_config: dict[str, Any], allow_changes: bool, from_step: int | None
) -> Restored:
    """Load a trainer's run back: the newest intact checkpoint, or step 0 when it saved none.

    Args:
        trainer: The `ganzoo.training.loop.Trainer` (its run directory, update rule, batches,
            strategy).
        new_config: The resume's resolved config (compared with the run's own).
        allow_changes: Accept changes of `PROTECTED` settings.
        from_step: Go on from this kept checkpoint; later ones are moved aside.

    Raises:
        ConfigError: A protected setting changed and changes are not allowed.
        CheckpointError: Nothing to resume, no checkpoint of ``from_step``, or no checkpoint
            loads.
    """
    from ganzoo.training.checkpoint import load_checkpoint, load_latest_intact

    run_dir, out = Path(trainer.run_dir), Restored()
    folder = run_dir / "checkpoints"
    changes = check_changes(run_dir, new_config, allow_changes, trainer.strategy.world_size)
    if changes:
        out.segment["changes"] = changes
        out.notices.append(("warning", f"settings changed on resume: {describe_changes(changes)}"))
    modules, optimizers = trainer.updates.modules(), trainer.updates.optimizers()
    # absent from runs that had a constant rate, or kept no EMA generator
    optional = ("lr_schedule", "ema_generator")
    if from_step is not None:
        path = folder / f"step-{from_step:07d}"
        if not path.is_dir():
            rewind(folder, from_step)  # raises, listing the kept steps
        state = load_checkpoint(path, modules, optimizers, optional=optional)
        if trainer.is_main:
            out.segment["superseded"] = rewind(folder, from_step)
    elif any(p.is_dir() for p in folder.glob("step-*")):
        path, state, skipped = load_latest_intact(folder, modules, optimizers, optional)
        for why in skipped:
            out.notices.append(("warning", f"{why}; resumed from {path} instead"))
        if skipped:
            out.segment["passed_over"] = skipped
    elif (run_dir / "config.json").is_file():
        out.notices.append(("resume", f"{run_dir} saved no checkpoint: starting over from step 0"))
        out.segment.update(resumed_from=None, from_step=0)
        if trainer.is_main:
            _note_trim(run_dir, 0, out)
        return out
    else:
        raise CheckpointError(
            f"no checkpoint under {folder} and no run started in {run_dir}: nothing to resume "
            f"(start it with ganzoo train ... --out {run_dir})"
        )
    out.step, out.checkpoint = int(state["step"]), path.name
    if "lr_schedule" in state.get("absent", ()):
        # saved with a constant rate: the schedule starts where the run stands (step = G updates)
        trainer.updates.schedules.move_to(out.step)
    if "ema_generator" in state.get("absent", ()):
        trainer.updates.restart_ema()
        out.notices.append(
            ("warning", f"{path} kept no EMA generator: the EMA starts from G at step {out.step}")
        )
    try:
        out.consumed, note = trainer.strategy.resume_position(state, trainer.batches, run_dir)
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: state.json field state.batches_consumed or "
            f"state.global_batch is missing or not a number ({type(err).__name__})"
        ) from None
    out.notices.append(("resume", f"resumed from {path}{note}"))
    out.segment.update(resumed_from=path.name, from_step=out.step)
    if trainer.is_main:
        _note_trim(run_dir, out.step, out)
    return out


def _note_trim(run_dir: Path, step: int, out: Restored) -> None:
    moved = trim_metrics(run_dir, step)
    if moved:
        out.notices.append(
            ("resume", f"{moved} rows of metrics.jsonl after step {step} moved to "
             f"{SUPERSEDED_METRICS} (this run writes those steps again)")
        )  # fmt: skip
