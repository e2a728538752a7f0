"""The metric keys whose direction ganzoo knows, and bounds on them.

A metric key (``score``, ``fid``, ``kl``, ...) is better when higher or when lower; spreads,
bands and checkpoint choice (``ganzoo.zoo``) and the cards' words (``ganzoo.card_records``) need
to know which. Torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ganzoo.errors import ConfigError

HIGHER_IS_BETTER = {
    "score", "modes", "precision", "recall", "density", "coverage", "hq_fraction", "is",
    "precision_inception", "recall_inception", "density_inception", "coverage_inception",
}  # fmt: skip
"""Metric keys for which a higher value is better."""
LOWER_IS_BETTER = {
    "fid", "kl", "ndb", "ndb_fraction", "fid_inception", "kid", "reverse_kl",
}  # fmt: skip
"""Metric keys for which a lower value is better."""


def higher_is_better(key: str) -> bool:
    """Whether a higher value of metric ``key`` is better.

    Raises:
        ConfigError: ``key`` is a metric whose direction ganzoo does not know.
    """
    if key in HIGHER_IS_BETTER:
        return True
    if key in LOWER_IS_BETTER:
        return False
    known = ", ".join(sorted(HIGHER_IS_BETTER | LOWER_IS_BETTER))
    raise ConfigError(
        f"metric {key!r} has no known direction (better when higher or lower?); choose one "
        f"of {known}"
    )


def meets_limit(key: str, value: float, bound: float) -> bool:
    """Whether ``value`` of metric ``key`` is on the good side of ``bound`` (or on it).

    A higher-is-better metric must reach the bound (``modes >= 10``), a lower-is-better one stay
    under it (``kl <= 0.02``); NaN meets no bound.
    """
    if higher_is_better(key):
        return value >= bound
    return value <= bound


def meets_limits(limits: Mapping[str, float], values: Mapping[str, float]) -> bool:
    """Whether ``values`` meet every one of ``limits`` (a missing value meets none)."""
    return all(meets_limit(k, values.get(k, math.nan), b) for k, b in limits.items())


def limit_text(limits: Mapping[str, float]) -> str:
    """Bounds as a reader sees them: ``kl <= 0.02, modes >= 10`` (none: the empty string)."""
    return ", ".join(
        f"{key} {'>=' if higher_is_better(key) else '<='} {bound:g}"
        for key, bound in limits.items()
    )


def choice_rule(
    metric: str, limits: Mapping[str, float] | None = None, higher: bool | None = None
) -> str:
    """How a checkpoint is chosen, in words.

    ``the best by score (higher is better)``, and ``among those with kl <= 0.02`` after it
    when there are limits. ``higher`` gives the metric's direction where a record holds it
    (None: `higher_is_better`).
    """
    if higher is None:
        higher = higher_is_better(metric)
    direction = "higher" if higher else "lower"
    text = f"the best by {metric} ({direction} is better)"
    if limits:
        text += f" among those with {limit_text(limits)}"
    return text
