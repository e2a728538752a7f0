"""From a training config to the objects a run trains: names, data, networks, loss, optimizers.

`resolve_names` fills in the architecture's default data set and loss and checks that the loss
fits the architecture; `build_parts` seeds the global RNG and builds everything in a fixed order
(data, networks, loss, optimizers), so a run's initial weights are a function of its seed alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ganzoo.building import architecture_spec, build_architecture, build_entry, dataset_spec
from ganzoo.errors import ConfigError
from ganzoo.imports import import_string
from ganzoo.interfaces import Discriminator, GANLoss, Generator
from ganzoo.registry import get_registry
from ganzoo.specs import ArchitectureSpec, OptimizerSettings
from ganzoo.training.config import TrainConfig
from ganzoo.training.optim import make_optimizers


def resolve_device(name: str) -> torch.device:
    """``auto`` is CUDA when available, else CPU; any other name is taken as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_data(name: str, options: dict[str, Any]) -> Any:
    """Build data set ``name``; a ``root`` option is passed only to data sets that take one."""
    spec = dataset_spec(name)
    opts = dict(options)
    if "root" in opts and spec.config:
        fields = import_string(spec.config).model_fields
        if "root" not in fields:
            opts.pop("root")
    return build_entry(name, **opts)


def resolve_names(config: TrainConfig) -> tuple[ArchitectureSpec, str, str]:
    """The architecture's spec and the data set and loss names the run uses.

    Unset ``data`` and ``loss`` take the architecture's defaults.

    Raises:
        ConfigError: The loss is not one the architecture allows (WGAN's clipping needs a
            Wasserstein loss).
        UnknownNameError: A name is not registered (the error suggests close names).
    """
    arch = architecture_spec(config.architecture)
    data_name = config.data or arch.default_data
    loss_name = config.loss or arch.default_loss
    get_registry().get(loss_name, "loss")
    if arch.compatible_losses and loss_name not in arch.compatible_losses:
        raise ConfigError(
            f"architecture {arch.name!r} needs one of the losses "
            f"{', '.join(arch.compatible_losses)}, not {loss_name!r} "
            "(e.g. weight clipping only makes sense for a Wasserstein critic)"
        )
    return arch, data_name, loss_name


@dataclass
class RunParts:
    """What `build_parts` built for a run, on its device."""

    arch: ArchitectureSpec
    data_name: str
    loss_name: str
    data: Any
    model: Any
    G: Generator
    D: Discriminator
    loss: GANLoss
    optimizer: OptimizerSettings
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer


def build_parts(config: TrainConfig, device: torch.device) -> RunParts:
    """Seed the global RNG with ``config.seed``, then build data, networks, loss and optimizers.

    Args:
        config: The run's config.
        device: Where the data and the networks go.

    Returns:
        The parts; image networks are laid out channels_last when ``config.channels_last``.

    Raises:
        ConfigError: A name or option is wrong, or the architecture built no discriminator.
    """
    arch, data_name, loss_name = resolve_names(config)
    torch.manual_seed(config.seed)
    data = load_data(data_name, config.data_options).to(device)
    model = build_architecture(arch, data=data_name, **config.architecture_options)
    model.to(device)
    if config.channels_last and data.spec.modality == "image":
        model.to(memory_format=torch.channels_last)
    G, D = model.generator, model.discriminator
    if D is None:
        raise ConfigError(
            f"architecture {arch.name!r} built no discriminator: it cannot be trained"
        )
    loss: GANLoss = build_entry(loss_name, **config.loss_options)
    optimizer = config.optimizer.resolve(arch.optimizer)
    opt_g, opt_d = make_optimizers(optimizer, G, D)
    return RunParts(arch, data_name, loss_name, data, model, G, D, loss, optimizer, opt_g, opt_d)
