"""Sampling rate: images/s of ``model.sample(n)``, as is (no_grad) and under inference_mode.

    python -m benchmarks.sample_rate [--quick] [--n 256] [--reps 5] [--no-write]
    python -m benchmarks.sample_rate --one no_grad|inference_mode [--n 256] [--reps 5]

Every registered pretrained model (``ganzoo.list_entries("model")``) is loaded and measured; when
none is registered (the zoo is still being trained), freshly built architectures for MNIST are
measured instead and the table says so. The two modes alternate per repetition; medians.

``--one MODE`` measures every model in that mode only and prints one line
``sample-rate {"images_per_second": ..., "models": {...}}`` (all models' images over their
median seconds summed): the separate-process comparison (`benchmarks.baselines`) runs one
process per mode, alternately.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

import ganzoo
from benchmarks.report import command, machine, publish
from benchmarks.train_step import load_line

FRESH = ("gan", "cgan", "dcgan", "wgan", "wgan-gp", "lsgan", "sngan", "acgan", "infogan")


def models(fresh_only: bool = False) -> tuple[dict[str, Any], str]:
    """``({name: GANModel}, source)``: the pretrained zoo, or fresh MNIST architectures."""
    if not fresh_only:
        found: dict[str, Any] = {}
        for spec in ganzoo.list_entries("model"):
            try:
                found[spec.name] = ganzoo.load(spec.name, device="cpu")
            except Exception as err:  # a model whose weights are not staged yet
                print(f"skipping {spec.name}: {err}")
        if found:
            return found, "registered pretrained models"
    fresh = {}
    registered = {s.name for s in ganzoo.list_entries("architecture")}
    for name in FRESH:
        if name in registered:
            fresh[name] = ganzoo.build(name, data="mnist")
    return fresh, "freshly built architectures (no pretrained model registered yet)"


def rate(sample: Callable[[], Any], n: int, reps: int, inference: bool) -> list[float]:
    """Seconds of ``reps`` calls of ``sample`` (after one warm-up), optionally in inference_mode."""
    ctx = torch.inference_mode if inference else contextlib.nullcontext
    with ctx():
        sample()
    times = []
    for _ in range(reps):
        with ctx():
            start = time.perf_counter()
            sample()
            times.append(time.perf_counter() - start)
    return times


def measure(model: Any, n: int, reps: int) -> dict[str, float]:
    """Median images/s of ``model.sample(n)``, under no_grad (its own) and inference_mode."""
    times: dict[str, list[float]] = {"no_grad": [], "inference_mode": []}
    for _ in range(reps):  # alternate the two modes
        for mode in times:
            times[mode] += rate(lambda: model.sample(n, seed=0), n, 1, mode == "inference_mode")
    return {mode: n / statistics.median(t) for mode, t in times.items()}


RESULT_TAG = "sample-rate"
"""The first word of the line ``--one`` prints (JSON after it)."""


def one_mode(mode: str, n: int, reps: int, fresh_only: bool = False) -> dict[str, Any]:
    """Every model's img/s in ``mode`` alone, and the rate over all of them; printed as one
    ``sample-rate {json}`` line."""
    import json

    zoo, source = models(fresh_only)
    seconds = {}
    for name, model in zoo.items():
        times = rate(lambda m=model: m.sample(n, seed=0), n, reps, mode == "inference_mode")
        seconds[name] = statistics.median(times)
    result = {
        "mode": mode,
        "images_per_second": n * len(seconds) / sum(seconds.values()),
        "models": {name: n / s for name, s in seconds.items()},
        "source": source,
    }
    print(f"{RESULT_TAG} {json.dumps(result)}", flush=True)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, print the table, and (unless ``--no-write``) update docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n=64, 2 repetitions")
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="measure fresh architectures only")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--one", choices=["no_grad", "inference_mode"], help="one mode only")
    args = parser.parse_args(argv)
    n, reps = (64, 2) if args.quick else (args.n, args.reps)
    if args.one:
        return one_mode(args.one, n, reps, args.fresh)
    zoo, source = models(args.fresh)
    before = load_line()
    results = {name: measure(model, n, reps) for name, model in zoo.items()}
    cmd = command("benchmarks.sample_rate", "--quick" if args.quick else "")
    lines = [
        "## Sampling rate (`model.sample(n)`)",
        "",
        f"Machine: {machine()}; torch {torch.__version__}, {torch.get_num_threads()} thread(s). "
        f"Machine load: {before} before, {load_line()} after. Command: `{cmd}` (n={n}, "
        f"{reps} alternating repetitions, medians). Models: {source}.",
        "",
        "| model | img/s (no_grad, as `sample` does) | img/s (inference_mode) | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['no_grad']:.0f} | {r['inference_mode']:.0f} | "
            f"{r['inference_mode'] / r['no_grad']:.2f}x |"
        )
    publish("sample-rate", lines, write=not args.no_write)
    return results


if __name__ == "__main__":
    main()
