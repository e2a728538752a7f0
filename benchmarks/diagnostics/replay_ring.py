"""``python -m benchmarks.diagnostics.replay_ring [--seeds N] [--warmups 200,500] [--save F]``:

The tuned benchmark's ``ring-d-boost`` scenario (``gan`` on ring-8, D boosted at a step S in [400, 600))
trained with its records kept, then ``d-overpowering`` replayed over them at each warm-up.

Prints one JSON line a seed: S and, per warm-up, the first alarm's delay after S (null: none).
With the default warm-up the replay gives the alarms the live detector raises on those records.
``--save F`` also appends each seed's records to F (one JSON line a seed: seed, onset and the
``metrics.jsonl`` step rows), for replaying other detector settings without training again.
"""

from __future__ import annotations

import argparse
import json

import torch


def run(seed: int, warmups: list[int], save: str | None = None) -> dict[str, int | None]:
    """Train ``ring-d-boost`` with ``seed`` by the tuned benchmark's own ``train_run``, no
    detector watching; the delay of ``d-overpowering`` replayed at each warm-up."""
    from benchmarks.diagnostics.scenarios import train_run
    from ganzoo.building import build_entry
    from ganzoo.diagnostics.report import replay

    result = train_run("ring-d-boost", seed, diagnostics=False)
    assert result.onset is not None  # ring-d-boost forces its failure at a drawn step
    row: dict[str, int | None] = {"seed": seed, "onset": result.onset}
    if save:
        kept = {**row, "records": [r.as_dict() for r in result.records]}
        with open(save, "a") as f:
            f.write(json.dumps(kept) + "\n")
    for w in warmups:
        detector = build_entry("d-overpowering", warmup_steps=w)
        steps = [a.step for a in replay([detector], result.records)]
        row[f"warmup_{w}"] = steps[0] - result.onset if steps else None
    return row


def main(argv: list[str] | None = None) -> None:
    """Print a row per seed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diagnostics.replay_ring")
    parser.add_argument("--seeds", type=int, default=10, help="Seeds 0..N-1.")
    parser.add_argument("--warmups", default="200,500", help="Comma-separated warm-ups.")
    parser.add_argument("--first-seed", type=int, default=0, help="The first seed.")
    parser.add_argument("--save", default=None, help="Append each seed's records to this file.")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warmups = [int(w) for w in args.warmups.split(",")]
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        print(json.dumps(run(seed, warmups, args.save)), flush=True)


if __name__ == "__main__":
    main()
