"""Which networks a load returns: the ``parts=`` argument of ``ganzoo.load``.

A source publishes some of three parts, named as a training checkpoint names its files:

| part | what it is |
| --- | --- |
| `generator` | G as trained (the network its optimizer updated) |
| `ema_generator` | the exponential moving average of G, when the run kept one |
| `discriminator` | D as trained |

Without ``parts`` a load returns the *sampling* generator (the EMA one when the source publishes
it, else G) in ``model.generator``, and what each source returned before (a registered model: no
D; a model folder, Hub repo or run directory: its D when it has one). With ``parts`` it returns
exactly those: ``generator`` puts G as trained into ``model.generator``, ``ema_generator`` fills
``model.ema_generator``, ``discriminator`` fills ``model.discriminator``; ``model.generator`` is
the sampling generator when ``generator`` is not asked for. ``"all"`` asks for every part the
source publishes. Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ganzoo.errors import ConfigError, WeightsError
from ganzoo.text import preview

PARTS = ("generator", "ema_generator", "discriminator")
"""Every part a source can publish, in loading order."""
ALL = "all"
"""``parts="all"``: every part the source publishes."""

Parts = str | Iterable[str] | None
"""What ``parts=`` takes: None, one part, ``"all"`` or several parts."""


def parse_parts(parts: Parts) -> tuple[str, ...] | None:
    """``parts`` as a tuple of part names (``("all",)`` for all), or None for the default.

    Args:
        parts: None, a part name, ``"all"``, or an iterable of part names.

    Raises:
        ConfigError: a name is not a part, or ``parts`` is empty or not strings.
    """
    if parts is None:
        return None
    names = [parts] if isinstance(parts, str) else list(parts) if _iterable(parts) else None
    if not names or not all(isinstance(p, str) for p in names):
        raise ConfigError(
            f"parts={preview(parts, 60)} names no parts: give one or more of "
            f"{', '.join(PARTS)}, or {ALL!r}"
        )
    bad = [p for p in names if p not in (*PARTS, ALL)]
    if bad:
        raise ConfigError(
            f"{preview(bad[0], 40)} is not a part: parts are {', '.join(PARTS)}, or {ALL!r} for "
            "every part the model publishes"
        )
    return (ALL,) if ALL in names else tuple(p for p in PARTS if p in names)


def _iterable(value: object) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, bytes | dict)


@dataclass(frozen=True)
class PartsPlan:
    """Which published file fills which network of the returned model."""

    generator: str
    """The part that fills ``model.generator``: ``generator`` or ``ema_generator``."""
    ema_generator: bool
    """Fill ``model.ema_generator`` from the ``ema_generator`` part."""
    discriminator: bool
    """Fill ``model.discriminator`` from the ``discriminator`` part."""

    @property
    def roles(self) -> tuple[str, ...]:
        """Every part the plan reads, in loading order."""
        wanted = {self.generator}
        if self.ema_generator:
            wanted.add("ema_generator")
        if self.discriminator:
            wanted.add("discriminator")
        return tuple(p for p in PARTS if p in wanted)


def plan_parts(
    parts: Parts, available: Sequence[str], where: str, default_discriminator: bool
) -> PartsPlan:
    """What to load of a source that publishes ``available``, for ``parts``.

    Args:
        parts: The ``parts=`` argument (see `parse_parts`).
        available: The parts the source publishes.
        where: The source, for messages (``model 'dcgan-mnist'``, ``hf-hub:o/n``, a path).
        default_discriminator: Without ``parts``, load the discriminator when there is one.

    Returns:
        The plan.

    Raises:
        ConfigError: ``parts`` names something that is not a part.
        WeightsError: the source publishes no generator, or not every part asked for (the
            message lists the parts it has).
    """
    asked = parse_parts(parts)
    if "generator" not in available and "ema_generator" not in available:
        raise WeightsError(f"{where} lists no generator weights")
    sampler = "ema_generator" if "ema_generator" in available else "generator"
    if asked is None:
        return PartsPlan(sampler, False, default_discriminator and "discriminator" in available)
    if asked == (ALL,):
        asked = tuple(p for p in PARTS if p in available)
    missing = [p for p in asked if p not in available]
    if missing:
        raise WeightsError(
            f"{where} publishes no {' or '.join(missing)} weights; the parts it has: "
            f"{', '.join(p for p in PARTS if p in available)} (ask for those, or parts='all')"
        )
    return PartsPlan(
        "generator" if "generator" in asked else sampler,
        "ema_generator" in asked,
        "discriminator" in asked,
    )
