"""Where a run starts: the checks of a start request and the claim of its run directory.

`Trainer.create <ganzoo.training.loop.Trainer.create>` calls these before it builds anything:
`plan_start` refuses a request that cannot work (``--from-step`` without ``--resume``, an
``init`` model without ``config.init``, a resume of a directory that does not exist) and says
whether a torchrun restart turns a new run into a resume; `claim` takes the run directory
(`ganzoo.training.runlock`), and `refuse_overwrite` keeps a new run out of a directory that
already holds one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganzoo.errors import CheckpointError, ConfigError
from ganzoo.training.config import TrainConfig
from ganzoo.training.runfiles import default_run_dir
from ganzoo.training.runlock import RunLock, claim_run_dir
from ganzoo.training.strategy import restart_count


def plan_start(
    config: TrainConfig, resume: bool, from_step: int | None, init: Any
) -> tuple[Path, bool, bool]:
    """The run directory of a start request, whether it resumes, and whether torchrun restarted it.

    Args:
        config: The run's config (``config.out`` names the directory; none: a default name).
        resume: The caller asked to continue the run.
        from_step: The checkpoint to resume from, if the caller picked one.
        init: The trained model ``config.init`` names, if the caller passed it.

    Returns:
        ``(run_dir, resume, restarted)``: ``resume`` is also true in a group that torchrun
        restarted (``--max-restarts``) once the run has written its config, and ``restarted``
        says so.

    Raises:
        ConfigError: ``config.init`` without its model (or a model without ``config.init``),
            or ``from_step`` without ``resume``.
        CheckpointError: A resume of a directory that does not exist.
    """
    run_dir = Path(config.out) if config.out else default_run_dir(config)
    if config.init and init is None and not resume:
        raise ConfigError(
            f"config.init names {config.init!r}: pass its weights too, "
            "Trainer.create(config, init=ganzoo.loading.start_model(config.init)) "
            "(ganzoo train and ganzoo.train do this)"
        )
    if init is not None and not config.init:
        raise ConfigError("init= goes with config.init, which names the model it came from")
    if from_step is not None and not resume:
        raise ConfigError("--from-step goes with --resume: it picks the checkpoint to resume")
    restarted = not resume and restart_count() > 0 and (run_dir / "config.json").is_file()
    resume = resume or restarted  # torchrun --max-restarts: the group goes on from a checkpoint
    if resume and not run_dir.is_dir():
        raise CheckpointError(f"no checkpoint under {run_dir}: the directory does not exist")
    return run_dir, resume, restarted


def claim(run_dir: Path, config: TrainConfig) -> tuple[Path, RunLock]:
    """Claim ``run_dir``; a default directory that another run claimed first gets the next name.

    Raises:
        ConfigError: Another live run holds the directory ``config.out`` names.
    """
    for _ in range(100):
        try:
            return run_dir, claim_run_dir(run_dir)
        except ConfigError:
            if config.out is not None:
                raise
        run_dir = default_run_dir(config)  # the other run made the directory: -2, -3, ...
    return run_dir, claim_run_dir(run_dir)


def refuse_overwrite(run_dir: Path) -> None:
    """Refuse to start a new run in a directory that already holds one (nothing is overwritten).

    Raises:
        ConfigError: ``run_dir`` has a run's ``config.json``; names the two ways on.
    """
    if (run_dir / "config.json").exists():
        raise ConfigError(
            f"run directory {run_dir} already holds a run; pass --resume {run_dir} to "
            "continue it, or choose another --out"
        )
