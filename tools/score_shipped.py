"""Score the shipped weights as the zoo build scored their checkpoint, and against limits.

``python tools/score_shipped.py [NAME ...] [--select-limit kl=0.02] [--json]`` (a maintainer
script, run from the repository root; ``--data-root`` or ``GANZOO_DATA`` holds MNIST)

For each pretrained model with a checkpoint-selection record (default: all of them), the bundled
generator is scored with its card's selection settings (metric, samples, seed, the set-aside real
data, never the test split) plus the given limits. The line shows the values beside the value the
card recorded for the chosen step, so it checks that the bytes that ship (fp16 export included)
score as their checkpoint did, and whether the limits would have let that checkpoint be chosen.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def build_zoo() -> ModuleType:
    """The zoo build script (this script runs from a path, not a package)."""
    spec = importlib.util.spec_from_file_location("build_zoo", REPO / "tools" / "build_zoo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score_shipped(
    name: str, limits: dict[str, float] | None, data_root: str | None
) -> dict[str, Any]:
    """Model ``name``'s shipped weights scored as its card's choice was, with ``limits`` added.

    Returns the values per key, the card's value for the chosen step, the limits and whether
    the values meet them.

    Raises:
        SystemExit: The model's card has no checkpoint-selection record.
    """
    import ganzoo
    from ganzoo.metric_keys import meets_limits
    from ganzoo.zoo.selection import MetricScorer, SelectionSettings

    bz = build_zoo()
    model = ganzoo.load(name)
    card = model.pretrained
    if card is None or card.selection is None:
        raise SystemExit(f"{name}: its card records no checkpoint choice to compare with")
    base = SelectionSettings.from_card(card.selection)
    settings = dataclasses.replace(base, limits={**base.limits, **(limits or {})})
    recipe = bz.recipe(name)
    data = recipe.get("data") or card.dataset
    values = MetricScorer(settings, data, dict(recipe.get("data_options", {})), data_root)(model)
    sel = card.selection
    return {
        "name": name,
        "chosen_step": sel.chosen_step,
        "card_value": sel.values[sel.steps.index(sel.chosen_step)],
        "values": {k: round(v, 4) for k, v in values.items()},
        "limits": dict(settings.limits),
        "meets": meets_limits(settings.limits, values),
    }


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: one line (or one JSON object) per model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="pretrained models (default: every card)")
    parser.add_argument("--select-limit", action="append", metavar="KEY=VALUE")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    from ganzoo.metric_keys import limit_text

    bz = build_zoo()
    limits = bz.parse_limits(args.select_limit)
    names = args.names or [m["name"] for m in bz.read_zoo()["models"] if m.get("selection")]
    for name in names:
        row = score_shipped(name, limits, args.data_root)
        if args.json:
            print(json.dumps(row), flush=True)
            continue
        values = ", ".join(f"{k} {v:.4f}" for k, v in row["values"].items())
        line = f"{name}: step {row['chosen_step']}: {values} (card {row['card_value']:.4f})"
        if row["limits"]:
            line += f"; {'meets' if row['meets'] else 'misses'} {limit_text(row['limits'])}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
