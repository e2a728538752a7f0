"""From a training config to the objects a run trains: names, data, networks, loss, optimizers.

`resolve_config` fills in the architecture's default data set and loss and checks that the loss
fits the architecture; `build_parts` seeds the global RNG and builds everything in a fixed order
(data, networks, loss, optimizers), so a run's initial weights are a function of its seed alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ganzoo.building import (
    architecture_spec,
    build_architecture,
    build_entry,
    dataset_spec,
    make_config,
)
from ganzoo.data.objects import IN_MEMORY, as_data
from ganzoo.data.sources import resolve_data_argument
from ganzoo.data.tensor_data import TensorData
from ganzoo.errors import ConfigError
from ganzoo.events import Notice
from ganzoo.hardware import native_bf16
from ganzoo.imports import import_string
from ganzoo.interfaces import Discriminator, GANLoss, Generator
from ganzoo.registry import get_registry
from ganzoo.specs import ArchitectureSpec, OptimizerSettings
from ganzoo.training.config import TrainConfig
from ganzoo.training.optim import make_optimizers


def resolve_device(name: str) -> torch.device:
    """``auto`` is CUDA when available, else CPU; a device this machine lacks is a ConfigError."""
    from ganzoo.hardware import check_device

    return check_device(name)  # type: ignore[no-any-return]


def load_data(name: str, options: dict[str, Any]) -> Any:
    """Build data set ``name``; a ``root`` option is passed only to data sets that take one."""
    spec = dataset_spec(name)
    opts = dict(options)
    if "root" in opts and spec.config:
        fields = import_string(spec.config).model_fields
        if "root" not in fields:
            opts.pop("root")
    return build_entry(name, **opts)


def resolve_config(config: TrainConfig) -> tuple[ArchitectureSpec, TrainConfig, str | None]:
    """The architecture's spec and ``config`` with its data set and loss resolved.

    Unset ``data`` and ``loss`` take the architecture's defaults. A ``data`` that names an
    existing folder or array file becomes data set ``image-folder``/``array-file`` with the
    absolute ``path`` among the data options (a path wins over a registered name of the same
    spelling; the returned note then says which was used).

    Returns:
        ``(arch, resolved, note)``: ``resolved`` is what the run records in ``config.json``.

    Raises:
        ConfigError: The loss is not one the architecture allows (WGAN's clipping needs a
            Wasserstein loss).
        DataError: ``data`` is written as a path but nothing is there.
        UnknownNameError: A name is not registered (the error suggests close names).
    """
    arch = architecture_spec(config.architecture)
    data_name = config.data or arch.default_data
    options, note = dict(config.data_options), None
    if data_name != IN_MEMORY:
        registered = data_name in get_registry().names("dataset")
        data_name, path_options, note = resolve_data_argument(data_name, registered)
        options = {**options, **path_options}
        if dataset_spec(data_name).shape is None:
            # the user's own files: record every option, the transform's defaults (resolution,
            # filter, ...) included, so config.json says how the pixels were made
            resolved = make_config(dataset_spec(data_name), options)
            options = resolved.model_dump(mode="json") if resolved is not None else options
    loss_name = config.loss or arch.default_loss
    get_registry().get(loss_name, "loss")
    if arch.compatible_losses and loss_name not in arch.compatible_losses:
        raise ConfigError(
            f"architecture {arch.name!r} needs one of the losses "
            f"{', '.join(arch.compatible_losses)}, not {loss_name!r} "
            "(e.g. weight clipping only makes sense for a Wasserstein critic)"
        )
    update = {"data": data_name, "data_options": options, "loss": loss_name}
    return arch, config.model_copy(update=update), note


@dataclass
class RunParts:
    """What `build_parts` built for a run, on its device."""

    arch: ArchitectureSpec
    config: TrainConfig  # with data set, data options and loss resolved (see resolve_config)
    data: TensorData
    model: Any
    G: Generator
    D: Discriminator
    loss: GANLoss
    optimizer: OptimizerSettings
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    notes: list[Notice]  # sent to the callbacks when the run starts

    @property
    def data_name(self) -> str:
        """The data set the run trains on (``in-memory`` for a Python object)."""
        return self.config.data  # type: ignore[return-value]  # resolved: never None

    @property
    def loss_name(self) -> str:
        """The loss the run trains with."""
        return self.config.loss  # type: ignore[return-value]  # resolved: never None


def build_parts(config: TrainConfig, device: torch.device, data: Any = None) -> RunParts:
    """Seed the global RNG with ``config.seed``, then build data, networks, loss and optimizers.

    Args:
        config: The run's config.
        device: Where the data and the networks go.
        data: Data given as a Python object (a tensor, numpy array, ``Dataset`` or
            ``TensorData``); it replaces ``config.data``, and the run records it as
            ``in-memory``. None: build the data set ``config`` names.

    Returns:
        The parts; image networks are sized from the built data and laid out channels_last
        when ``config.channels_last``.

    Raises:
        ConfigError: A name or option is wrong, the architecture built no discriminator, or a
            run that trained on a Python object is resumed without it.
    """
    if data is not None:
        if config.data not in (None, IN_MEMORY):
            raise ConfigError(
                f"give the data once: config.data is {config.data!r} and a data object was "
                "passed too"
            )
        config = config.model_copy(update={"data": IN_MEMORY})
    arch, config, note = resolve_config(config)
    notes = [Notice("data", 0, note)] if note else []
    if config.amp == "auto":  # config.json records the choice; the run says it at its start
        native = native_bf16(device)
        config = config.model_copy(update={"amp": "bf16" if native else "none"})
        notes.append(Notice("setup", 0, amp_choice(native, device)))
    torch.manual_seed(config.seed)
    if data is not None:
        train_data = as_data(data)
    elif config.data == IN_MEMORY:
        raise ConfigError(
            "this run trained on data given in Python; pass the same data again "
            "(Trainer.create(config, data=X, resume=True))"
        )
    else:
        train_data = load_data(config.data, config.data_options)  # type: ignore[arg-type]
    train_data = train_data.to(device)
    model = build_architecture(arch, data=train_data.spec, **config.architecture_options)
    model.to(device)
    if config.channels_last and train_data.spec.modality == "image":
        model.to(memory_format=torch.channels_last)
    G, D = model.generator, model.discriminator
    if D is None:
        raise ConfigError(
            f"architecture {arch.name!r} built no discriminator: it cannot be trained"
        )
    loss: GANLoss = build_entry(config.loss, **config.loss_options)  # type: ignore[arg-type]
    optimizer = config.optimizer.resolve(arch.optimizer)
    opt_g, opt_d = make_optimizers(optimizer, G, D)
    return RunParts(
        arch, config, train_data, model, G, D, loss, optimizer, opt_g, opt_d, notes
    )  # fmt: skip


def amp_choice(native: bool, device: torch.device) -> str:
    """What ``amp: auto`` chose on ``device``, in words (the run's ``setup`` notice)."""
    if native:
        return f"amp auto: bf16 autocast ({device.type} runs bf16 natively)"
    return f"amp auto: none, fp32 (no native bf16 on this {device.type})"


def fixed_latents(
    G: Generator, data: Any, config: TrainConfig, device: torch.device
) -> tuple[Tensor, Tensor | None]:
    """The latents (and labels) of every sample grid.

    Drawn from their own seeded generator,
    ``num_samples`` of them (at least 1000 for point data, whose grids are scatter plots).
    """
    n = config.num_samples if data.spec.modality == "image" else max(config.num_samples, 1000)
    z = G.sample_latent(n, generator=torch.Generator().manual_seed(1234), device="cpu")
    y = torch.arange(n, device=device) % G.num_classes if G.num_classes else None
    return z.to(device), y
