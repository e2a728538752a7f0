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

    ``arch`` is the architecture's spec, ``config`` its validated config, ``data`` the data set
    it is sized for, ``pretrained`` the model entry its weights came from (None if untrained).
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
        self.discriminator = discriminator
        self.arch = arch
        self.config = config
        self.data = data
        self.pretrained = pretrained

    @property
    def name(self) -> str:
        return self.pretrained.name if self.pretrained else self.arch.name

    def config_dict(self) -> dict[str, Any]:
        """The architecture config as plain JSON-able values."""
        return self.config.model_dump(mode="json") if self.config is not None else {}

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.generator(z, y)

    def sample(self, n: int, y: Tensor | int | None = None, seed: int | None = None) -> Tensor:
        """``n`` samples in [-1, 1], shape ``(n, *data.shape)``; see :meth:`Generator.sample`."""
        return self.generator.sample(n, y=y, seed=seed)

    @property
    def device(self) -> torch.device:
        return self.generator._device()

    def extra_repr(self) -> str:
        return f"name={self.name!r}, data={self.data.name!r}"
