"""Fine-tuning: a new run whose G, D and EMA start from a trained model's weights.

``TrainConfig.init`` names the model; the layers above training load it
(``ganzoo.loading.start_model``: every part it publishes, a discriminator required) and hand it
to ``Trainer.create(config, init=model)``, which calls `start_from` for a new run (a resumed run
restores its own checkpoint instead). The optimizers, learning-rate schedules and augmentation
state start fresh; only the networks' weights are taken.
"""

from __future__ import annotations

from typing import Any

from ganzoo.errors import ConfigError, WeightsError
from ganzoo.weights import load_module, module_tensors


def start_from(trainer: Any, model: Any, name: str) -> None:
    """Copy ``model``'s G, D and EMA generator into ``trainer``'s networks, strictly.

    G takes ``model.generator`` (G as trained when the source published it), D takes
    ``model.discriminator``, and the run's EMA generator (when the run keeps one) takes
    ``model.ema_generator`` when the source published one, else G's weights.

    Args:
        trainer: A new `ganzoo.training.loop.Trainer`.
        model: The trained ``GANModel`` (``ganzoo.loading.start_model``'s).
        name: What ``config.init`` called it, for messages.

    Raises:
        ConfigError: the model is of another architecture or other architecture options, or it
            has no discriminator.
        WeightsError: its weights do not fit the run's networks (another data shape or number
            of classes), naming the keys.
    """
    arch = trainer.arch.name
    if model.arch.name != arch:
        raise ConfigError(
            f"init {name!r} is a {model.arch.name} model but the run trains {arch}: train "
            f"{model.arch.name} (or omit the architecture with --init) or start from a {arch} model"
        )
    ours, theirs = trainer.model.config_dict(), model.config_dict()
    differ = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
    if differ:
        shown = ", ".join(f"{k}={theirs.get(k)!r} (run: {ours.get(k)!r})" for k in differ[:5])
        raise ConfigError(
            f"init {name!r} was trained with other {arch} options: {shown}; set the run's "
            "architecture_options to the model's"
        )
    if model.discriminator is None:
        raise ConfigError(f"init {name!r} has no discriminator: training cannot start from it")
    try:
        load_module(trainer.G, module_tensors(model.generator), f"init {name} (generator)")
        load_module(trainer.D, module_tensors(model.discriminator), f"init {name} (discriminator)")
        if trainer.updates.keeps_ema:
            source = model.ema_generator if model.ema_generator is not None else model.generator
            trainer.updates.load_ema(module_tensors(source), f"init {name} (EMA generator)")
    except WeightsError as err:
        raise WeightsError(
            f"{err} (the run's data set must have the shape and classes the model was trained "
            f"on: {model.data.name})"
        ) from None
