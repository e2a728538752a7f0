"""A generator/discriminator pair with what built it: the object ``build`` and ``load`` return."""

from __future__ import annotations

from typing import Any

import torch
from pydantic import BaseModel
from torch import Tensor, nn

from ganzoo.interfaces import Discriminator, Generator
from ganzoo.specs import ArchitectureSpec, DatasetSpec, ModelSpec


class GANModel(nn.Module):
    """A GAN ready to sample from (and, if it has a discriminator, to train further).

    Args:
        generator: G.
        discriminator: D, or None when only the generator was loaded.
        arch: The architecture's spec.
        config: Its validated config (None: the architecture takes no options).
        data: The data set it is sized for.
        pretrained: The model entry its weights came from (None if untrained).
    """

    def __init__(
        self,
        generator: Generator,
        discriminator: Discriminator | None,
        arch: ArchitectureSpec,
        config: BaseModel | None,
        data: DatasetSpec,
        pretrained: ModelSpec | None = None,
    ) -> None:
        super().__init__()
        self.generator = generator
        """G: `sample` and `forward` call it."""
        self.discriminator = discriminator
        """D, or None when only the generator was loaded."""
        self.arch = arch
        """The architecture's spec."""
        self.config = config
        """The architecture's validated config (None: it takes no options)."""
        self.data = data
        """The spec of the data set it is sized for."""
        self.pretrained = pretrained
        """The model entry its weights came from (None if untrained)."""
        self.ema_generator: Generator | None = None
        """The EMA of G, when loaded with ``parts`` that ask for it (see ``ganzoo.load``)."""

    @property
    def name(self) -> str:
        """The pretrained model's name, else the architecture's."""
        return self.pretrained.name if self.pretrained else self.arch.name

    def config_dict(self) -> dict[str, Any]:
        """The architecture config as plain JSON-able values."""
        return self.config.model_dump(mode="json") if self.config is not None else {}

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """The generator's samples for latents ``z`` (and labels ``y`` if conditional)."""
        return self.generator(z, y)

    def sample(
        self,
        n: int,
        y: Tensor | int | None = None,
        seed: int | None = None,
        truncation: float | None = None,
    ) -> Tensor:
        """``n`` samples in [-1, 1], shape ``(n, *data.shape)``.

        See [`Generator.sample`][ganzoo.interfaces.Generator.sample] for ``y``, ``seed`` and
        ``truncation`` (the truncation trick of the architectures that have one).
        """
        return self.generator.sample(n, y=y, seed=seed, truncation=truncation)

    @property
    def device(self) -> torch.device:
        """The device of the generator's parameters."""
        return self.generator._device()

    def extra_repr(self) -> str:
        """The name and data set, shown in the module's ``repr``."""
        return f"name={self.name!r}, data={self.data.name!r}"

    def __repr__(self) -> str:
        """One line: what it is, what it is sized for, its sizes and where it is.

        ``GANModel('dcgan-mnist': dcgan on mnist 1x28x28, 10 classes, latent 100, G 3.58M /
        D 2.77M parameters, pretrained, cpu)``; ``print(model.generator)`` shows the layers.
        """
        shape = "x".join(str(s) for s in (self.data.shape or ()))
        if self.data.modality == "points":
            shape = f"({shape}-D points)"
        parts = [f"{self.arch.name} on {self.data.name} {shape}".rstrip()]
        if self.generator.num_classes:
            parts.append(f"{self.generator.num_classes} classes")
        parts.append(f"latent {self.generator.latent_dim}")
        sizes = f"G {_count(self.generator)}"
        if self.discriminator is not None:
            sizes += f" / D {_count(self.discriminator)}"
        if self.ema_generator is not None:
            sizes += " (+ EMA G)"
        parts.append(f"{sizes} parameters")
        if self.pretrained is not None:
            parts.append("pretrained")
        parts.append(str(self.device))
        return f"GANModel({self.name!r}: {', '.join(parts)})"


def _count(module: nn.Module) -> str:
    """A module's parameter count, e.g. ``3.58M`` or ``34.2k``."""
    n = sum(p.numel() for p in module.parameters())
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)
