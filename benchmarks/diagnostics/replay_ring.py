"""``python -m benchmarks.diagnostics.replay_ring [--seeds N] [--warmups 200,500]``: the tuned
benchmark's ``ring-d-boost`` scenario (``gan`` on ring-8, D boosted at a step S in [400, 600))
trained with its records kept, then ``d-overpowering`` replayed over them at each warm-up.

Prints one JSON line a seed: S and, per warm-up, the first alarm's delay after S (null: none).
With the default warm-up the replay gives the alarms the live detector raises on those records.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import torch


def run(seed: int, warmups: list[int]) -> dict[str, int | None]:
    """Train ``ring-d-boost`` with ``seed``; the delay of ``d-overpowering`` at each warm-up."""
    from benchmarks.diagnostics.scenarios import TRAIN_SCENARIOS, _Intervention
    from ganzoo.building import build_entry
    from ganzoo.diagnostics.report import records_from_events
    from ganzoo.training.callbacks import MetricsLogger
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer
    from ganzoo.training.rundir import read_events

    sc = TRAIN_SCENARIOS["ring-d-boost"]
    lo, hi = sc.onset or (sc.steps // 3, sc.steps // 2)
    onset = random.Random(seed).randrange(lo, hi) // 50 * 50  # as the tuned benchmark draws S
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(
            architecture="gan",
            data="ring-8",
            data_options={"size": 20000},
            loss="non-saturating",
            steps=sc.steps,
            seed=seed,
            out=str(Path(tmp) / "run"),
            log_every=50,
            sample_every=500,
            checkpoint_every=10**9,
            diagnostics=[],
        )
        trainer = Trainer.create(cfg)
        trainer.callbacks.append(MetricsLogger(trainer.run_dir / "metrics.jsonl"))
        trainer.callbacks.append(_Intervention(sc.intervention, onset))  # type: ignore[arg-type]
        trainer.run()
        records = records_from_events(read_events(trainer.run_dir))
    row: dict[str, int | None] = {"seed": seed, "onset": onset}
    for w in warmups:
        detector = build_entry("d-overpowering", warmup_steps=w)
        steps = [a.step for r in records for a in detector.on_step(r)]
        row[f"warmup_{w}"] = steps[0] - onset if steps else None
    return row


def main(argv: list[str] | None = None) -> None:
    """Print a row per seed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diagnostics.replay_ring")
    parser.add_argument("--seeds", type=int, default=10, help="Seeds 0..N-1.")
    parser.add_argument("--warmups", default="200,500", help="Comma-separated warm-ups.")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warmups = [int(w) for w in args.warmups.split(",")]
    for seed in range(args.seeds):
        print(json.dumps(run(seed, warmups)), flush=True)


if __name__ == "__main__":
    main()
