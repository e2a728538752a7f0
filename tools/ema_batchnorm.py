"""Compare G, its EMA with G's BatchNorm statistics, and its EMA with its own, at one checkpoint.

    GANZOO_DATA=DIR python tools/ema_batchnorm.py RUN_DIR [--step N] [-n 2000]

RUN_DIR is a ``ganzoo train ... --ema DECAY`` run of an architecture with BatchNorm in G (dcgan).
The three generators share one checkpoint, so they cost the same training time:

- ``G``: the trained generator;
- ``EMA, G's BN statistics``: the EMA's weights with G's running statistics (what
  ``--ema`` did before ``ema_batchnorm`` existed, and ``ema_batchnorm=copy`` now);
- ``EMA, own BN statistics``: the EMA's weights with statistics re-estimated from its own
  activations (``ema_batchnorm=recompute``, the default; `ganzoo.training.ema`).

Each is evaluated by `ganzoo.metrics.engine.evaluate` (default metric ``fid``: the Frechet distance
in the MNIST classifier's features, against the test set) and printed as one Markdown table row.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> int:
    """Evaluate the three generators of one checkpoint and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--step", type=int, help="checkpoint step (default: the latest)")
    parser.add_argument("-n", type=int, default=2000, help="samples per evaluation")
    parser.add_argument("--metrics", default="fid")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch

    import ganzoo
    from ganzoo.metrics.engine import evaluate
    from ganzoo.training.checkpoint import latest_checkpoint
    from ganzoo.training.ema import EMAGenerator, batchnorm_layers
    from ganzoo.weights import read_tensors

    folder = args.run_dir / "checkpoints"
    ckpt = folder / f"step-{args.step:07d}" if args.step else latest_checkpoint(folder)
    g_state = read_tensors(ckpt / "generator.safetensors")
    ema_state = read_tensors(ckpt / "ema_generator.safetensors")
    model = ganzoo.load(str(args.run_dir), device="cpu")
    gen = model.generator
    bn_keys = {
        f"{name}.{b}"
        for name, m in gen.named_modules()
        if m in batchnorm_layers(gen)
        for b in ("running_mean", "running_var", "num_batches_tracked")
    }
    copied = {k: (g_state[k] if k in bn_keys else v) for k, v in ema_state.items()}
    variants = {"G": g_state, "EMA, G's BN statistics": copied}
    print(f"checkpoint {ckpt}, {args.n} samples, metrics {args.metrics}")
    print("| generator | " + " | ".join(args.metrics.split(",")) + " |")
    print("| --- |" + " --- |" * len(args.metrics.split(",")))
    rows = [*variants.items(), ("EMA, own BN statistics", None)]
    for label, state in rows:
        if state is None:  # the EMA's weights, statistics re-estimated from its activations
            gen.load_state_dict(copied)
            ema = EMAGenerator(gen, decay=0.5)  # a copy of these weights; decay unused
            ema.recompute_batchnorm()
            gen.load_state_dict(ema.module.state_dict())
        else:
            gen.load_state_dict(state)
        gen.eval()
        with torch.no_grad():
            result = evaluate(model, metrics=args.metrics, n=args.n, seed=args.seed, floors=False)
        values = " | ".join(f"{result.metrics[m]:.2f}" for m in args.metrics.split(","))
        print(f"| {label} | {values} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
