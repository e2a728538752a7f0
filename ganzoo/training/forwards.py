"""The four forward passes of G and D that the update rule calls (`ganzoo.training.updates`).

A multi-process run routes the two with gradients through DDP, and ``compile`` wraps all of
them in ``torch.compile``; the update rule calls them the same way either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganzoo.interfaces import Discriminator, DiscriminatorOutput, Generator


@dataclass
class Forwards:
    """The four forward passes the updates call.

    A multi-process run routes the two with grads through DDP; ``torch.compile`` wraps them
    when asked.

    Attributes:
        g: G under no_grad (the fakes of the earlier D steps).
        g_train: G with grads (the G step, and the last D step when its fakes are reused).
        d: D's ``forward_all`` with grads (the D step).
        d_frozen: D's ``forward_all`` with D frozen (the G step).
    """

    g: Callable[..., Tensor]
    g_train: Callable[..., Tensor]
    d: Callable[..., DiscriminatorOutput]
    d_frozen: Callable[..., DiscriminatorOutput]

    @classmethod
    def make(
        cls,
        G: Generator,
        D: Discriminator,
        compile: bool = False,
        g_train: nn.Module | None = None,
        d_train: nn.Module | None = None,
    ) -> Forwards:
        """The forwards of ``G`` and ``D``; ``g_train``/``d_train`` replace the with-grad ones.

        Args:
            G: The generator.
            D: The discriminator.
            compile: Wrap every forward in ``torch.compile``.
            g_train: A wrapper of G for its with-grad passes (DDP), or None for G itself.
            d_train: A wrapper of D's ``forward_all`` for its update (DDP), or None for D.
        """
        wrap = torch.compile if compile else (lambda f: f)
        g, d_frozen = wrap(G), wrap(D.forward_all)
        return cls(
            g=g,
            g_train=g if g_train is None else wrap(g_train),
            d=d_frozen if d_train is None else wrap(d_train),
            d_frozen=d_frozen,
        )
