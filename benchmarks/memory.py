"""Memory of dcgan/MNIST training: peak RSS, and a leak check of RSS over many steps.

    python -m benchmarks.memory [--quick] [--steps N] [--no-write]

* Peak RSS: ``Trainer.run`` of dcgan/MNIST (batch 64, full width) for ``--peak-steps`` steps,
  in a child process so the figure is that run's own maximum (``ru_maxrss``).
* Leak check: ``Trainer.run`` for ``--steps`` steps (10 000; 1 000 with ``--quick``) with the
  current RSS sampled at every record (``log_every`` 100). Growth after the first 10% of the steps
  must stay within ``--tolerance`` MiB. To make 10 000 steps affordable on a CPU it runs the same
  loop on a narrow dcgan (width 8, latent 16, batch 16): leaks come from references the loop
  keeps, which do not depend on the width.
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path
from typing import Any

from benchmarks.child import call_in_child
from benchmarks.harness import scratch_run_dir
from benchmarks.report import command, machine, publish

NEVER = 10**9


def current_rss_mib() -> float:
    """This process's resident set now, MiB (from /proc/self/statm)."""
    import os

    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def train(steps: int, width: int, latent: int, batch: int, log_every: int) -> dict[str, Any]:
    """Run dcgan/MNIST for ``steps`` steps; RSS (MiB) at every record, and the peak."""
    import torch

    from ganzoo.training.callbacks import Callback
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer

    samples: list[tuple[int, float]] = []

    class RSS(Callback):
        def on_step(self, trainer: Trainer, record: Any) -> None:
            samples.append((record.step, current_rss_mib()))

    out = scratch_run_dir("ganzoo-mem-")
    config = TrainConfig(
        architecture="dcgan",
        data="mnist",
        architecture_options={"width": width, "latent_dim": latent},
        batch_size=batch,
        steps=steps,
        log_every=log_every,
        sample_every=NEVER,
        checkpoint_every=NEVER,
        diagnostics=[],
        device="cpu",
        out=str(out),
    )
    Trainer.create(config, callbacks=[RSS()]).run()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"samples": samples, "peak_mib": peak, "threads": torch.get_num_threads()}


def in_child(**kwargs: Any) -> dict[str, Any]:
    """:func:`train` in a fresh interpreter (its own peak RSS)."""
    return call_in_child("benchmarks.memory", "train", **kwargs)


def growth(samples: list[tuple[int, float]], skip: float = 0.1) -> float:
    """RSS growth (MiB) from the first sample after ``skip`` of the run to the maximum after it."""
    last = samples[-1][0]
    after = [rss for step, rss in samples if step >= skip * last]
    return max(after) - after[0] if after else 0.0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, print the table, and (unless ``--no-write``) update docs/benchmarks.md."""
    from benchmarks.train_step import load_line

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--steps", type=int, default=None, help="leak-check steps (10000)")
    parser.add_argument("--peak-steps", type=int, default=None, help="full-size steps (50)")
    parser.add_argument("--tolerance", type=float, default=8.0, help="MiB")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    steps = args.steps or (1000 if args.quick else 10_000)
    peak_steps = args.peak_steps or (5 if args.quick else 50)
    before = load_line()
    peak = in_child(steps=peak_steps, width=64, latent=100, batch=64, log_every=10)
    leak = in_child(steps=steps, width=8, latent=16, batch=16, log_every=100)
    grew = growth(leak["samples"])
    ok = grew <= args.tolerance
    first, final = leak["samples"][0][1], leak["samples"][-1][1]
    cmd = command("benchmarks.memory", "--quick" if args.quick else "")
    if args.steps:
        cmd += f" --steps {args.steps}"
    lines = [
        "## Memory of training (dcgan/MNIST, CPU)",
        "",
        f"Machine: {machine()}. Machine load: {before} before, {load_line()} after. "
        f"Command: `{cmd}`.",
        "",
        "| measurement | value |",
        "| --- | ---: |",
        f"| peak RSS, dcgan/MNIST b64 width 64, {peak_steps} steps (whole process, MNIST "
        f"resident) | {peak['peak_mib']:.0f} MiB |",
        f"| leak check: RSS at step {leak['samples'][0][0]} / step {leak['samples'][-1][0]} "
        f"(narrow dcgan b16) | {first:.1f} / {final:.1f} MiB |",
        f"| leak check: growth after the first 10% of {steps} steps (tolerance "
        f"{args.tolerance:.0f} MiB) | {grew:.1f} MiB: {'pass' if ok else 'FAIL'} |",
    ]
    publish("memory", lines, write=not args.no_write)
    return {"peak": peak["peak_mib"], "growth": grew, "ok": ok, "samples": leak["samples"]}


if __name__ == "__main__":
    main()
