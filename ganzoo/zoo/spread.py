"""Figures over seeds: mean, spread, the tolerance band, and the check against it. Torch-free."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ganzoo.card_records import SeedSpread

BAND_SIGMAS = 3.0
"""Half-width of the band in standard deviations over seeds."""
BAND_MIN_RELATIVE = 0.02
"""Least half-width of the band, as a share of the mean's magnitude."""
BAND_MIN_ABSOLUTE = 1e-3
"""Least half-width of the band, absolute (a metric whose mean is 0)."""
BAND_RULE = (
    f"mean +- max({BAND_SIGMAS:g} x std over seeds, {BAND_MIN_RELATIVE:.0%} of |mean|, "
    f"{BAND_MIN_ABSOLUTE:g})"
)
"""How `band` derives a metric's tolerance band (written into each card)."""


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the sample standard deviation (ddof 1; 0 for a single value)."""
    mean = math.fsum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def band(mean: float, std: float) -> tuple[float, float]:
    """The tolerance band of a metric with ``mean`` and ``std`` over seeds (`BAND_RULE`)."""
    half = max(BAND_SIGMAS * std, BAND_MIN_RELATIVE * abs(mean), BAND_MIN_ABSOLUTE)
    return mean - half, mean + half


def seed_spread(
    seeds: Sequence[int],
    per_seed: Sequence[Mapping[str, float]],
    shipped_seed: int,
    chosen_steps: Sequence[int] = (),
    digits: int = 4,
) -> SeedSpread:
    """The spread of ``per_seed`` metrics (one mapping per seed, in ``seeds`` order).

    Only the metric keys every seed has are kept. Values are rounded to ``digits`` decimals.
    """
    keys = [k for k in per_seed[0] if all(k in m for m in per_seed)]
    values = {k: tuple(round(float(m[k]), digits) for m in per_seed) for k in keys}
    stats = {k: mean_std([float(m[k]) for m in per_seed]) for k in keys}
    bands = {k: band(*stats[k]) for k in keys}
    return SeedSpread(
        seeds=tuple(seeds),
        shipped_seed=shipped_seed,
        chosen_steps=tuple(chosen_steps),
        values=values,
        mean={k: round(m, digits) for k, (m, _) in stats.items()},
        std={k: round(s, digits) for k, (_, s) in stats.items()},
        band={k: (round(lo, digits), round(hi, digits)) for k, (lo, hi) in bands.items()},
        band_rule=BAND_RULE,
    )


def outside_band(
    bands: Mapping[str, tuple[float, float]], measured: Mapping[str, float]
) -> list[str]:
    """One line per metric of ``bands`` that ``measured`` misses or puts outside its band.

    Example line: ``fid 5.310 is above its band [3.100, 4.900] by 0.410``.
    """
    lines = []
    for key, (low, high) in bands.items():
        if key not in measured:
            lines.append(f"{key} was not measured (its band is [{low:.4g}, {high:.4g}])")
            continue
        value = measured[key]
        if not math.isfinite(value):
            lines.append(f"{key} is {value}, outside its band [{low:.4g}, {high:.4g}]")
        elif value < low:
            lines.append(
                f"{key} {value:.4g} is below its band [{low:.4g}, {high:.4g}] by {low - value:.4g}"
            )
        elif value > high:
            lines.append(
                f"{key} {value:.4g} is above its band [{low:.4g}, {high:.4g}] by {value - high:.4g}"
            )
    return lines
