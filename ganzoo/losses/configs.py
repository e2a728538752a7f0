"""Config models of the built-in losses (pydantic, ``extra="forbid"``; torch-free).

Their field defaults are the losses' defaults (the papers' settings), the only place those are
written: the loss specs name a model here by import string, ``ganzoo info`` reads the defaults
from it without importing torch, and each loss class keeps the validated instance as ``config``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LossConfig(BaseModel):
    """Base of the built-in loss configs: frozen, unknown options are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LeastSquaresConfig(LossConfig):
    """Targets of the least-squares objective.

    ``a`` for fakes and ``b`` for reals in D's loss,
    ``c`` the value G wants D to output for fakes (the paper's 0-1 coding).
    """

    a: float = Field(0.0, description="D's target for fakes.")
    b: float = Field(1.0, description="D's target for reals.")
    c: float = Field(1.0, description="G's target for D's output on fakes.")


class WassersteinGPConfig(LossConfig):
    """``weight``: the gradient penalty's lambda (10 in the paper)."""

    weight: float = Field(10.0, ge=0, description="Lambda of the gradient penalty.")


class R1Config(LossConfig):
    """``gamma``: the R1 weight; D's loss gains ``gamma / 2 * E||grad D(x)||^2``.

    ``interval``: lazy R1 (StyleGAN2): the penalty is taken on every ``interval``-th D update
    only, times ``interval``; the same expected weight for about ``1/interval`` of its cost.
    """

    gamma: float = Field(10.0, ge=0, description="R1 weight gamma (the penalty is gamma/2 * ...).")
    interval: int = Field(
        1, ge=1, description="Take R1 every this many D updates, times this (lazy R1; 1: always)."
    )


class DraganConfig(LossConfig):
    """``weight``: DRAGAN's lambda; ``scale``: noise scale relative to the batch's std."""

    weight: float = Field(10.0, ge=0, description="Lambda of the DRAGAN penalty.")
    scale: float = Field(0.5, gt=0, description="Perturbation scale, times the batch's std.")


__all__ = ["DraganConfig", "LeastSquaresConfig", "LossConfig", "R1Config", "WassersteinGPConfig"]
