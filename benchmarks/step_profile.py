"""Where a dcgan/MNIST training step's time goes, and what the allocator setting saves.

    python -m benchmarks.step_profile [--batch 64] [--steps 3] [--threads 1]

Two measurements of ganzoo's step (`Trainer.train_step`, default config), printed as markdown:

* ``torch.profiler`` self CPU time of ``--steps`` steps after 3 warm-up steps, summed into
  groups: the two wide layers (D's 64->128 convolution, G's 128->64 transposed convolution),
  the one-channel layers (D's input convolution, G's output layer), BatchNorm, activations,
  linear layers, Adam, layout copies, the rest;
* page faults and system time per step in two fresh child processes, one with
  `ganzoo.hardware.retain_freed_memory` (what ``ganzoo train`` does) and one with glibc's
  defaults (``GANZOO_MALLOC=system``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

GROUPS = {
    "wide layers (D conv 64->128, G conv-transpose 128->64)": (
        lambda name, shapes: (
            "conv" in name and ("64, 128, 7, 7" in shapes or "128, 64, 4, 4" in shapes)
        )
    ),
    "one-channel layers (D's input conv, G's output layer)": (
        lambda name, shapes: "conv" in name and ", 1, 4, 4]" in shapes
    ),
    "BatchNorm": lambda name, shapes: "batch_norm" in name,
    "activations (LeakyReLU, ReLU, tanh)": (
        lambda name, shapes: any(k in name for k in ("leaky_relu", "threshold", "relu", "tanh"))
    ),
    "linear layers (mm, addmm)": lambda name, shapes: name in ("aten::mm", "aten::addmm"),
    "Adam": lambda name, shapes: any(
        k in name for k in ("Adam", "_foreach", "addcdiv", "addcmul", "lerp", "sqrt")
    ),
    "copies (layout conversions)": lambda name, shapes: name == "aten::copy_",
}


def profile_groups(batch: int, steps: int) -> dict[str, float]:
    """Share (%) of self CPU time per group of :data:`GROUPS` over ``steps`` steps."""
    from torch.profiler import ProfilerActivity, profile

    from benchmarks.train_step import Case, make_trainer

    trainer = make_trainer(Case("profile", "dcgan", "mnist", batch))
    for _ in range(3):
        trainer.train_step()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(steps):
            trainer.train_step()
        trainer.record(1.0, 1)
    sums = dict.fromkeys([*GROUPS, "the rest"], 0.0)
    total = 0.0
    for ev in prof.key_averages(group_by_input_shape=True):
        t = ev.self_cpu_time_total
        total += t
        shapes = str(ev.input_shapes)
        group = next((g for g, match in GROUPS.items() if match(ev.key, shapes)), "the rest")
        sums[group] += t
    return {g: 100.0 * t / total for g, t in sums.items()}


def _faults_child(batch: int, steps: int) -> None:
    """In a child: the step's minor page faults and CPU ms per step, as one JSON line."""
    from ganzoo.hardware import retain_freed_memory

    applied = retain_freed_memory()
    from benchmarks.train_step import Case, make_trainer

    trainer = make_trainer(Case("faults", "dcgan", "mnist", batch))
    for _ in range(3):
        trainer.train_step()
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    trainer.record(1.0, 1)
    after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - start
    print(
        json.dumps(
            {
                "retained": applied,
                "faults_per_step": (after.ru_minflt - before.ru_minflt) / steps,
                "sys_ms_per_step": 1e3 * (after.ru_stime - before.ru_stime) / steps,
                "user_ms_per_step": 1e3 * (after.ru_utime - before.ru_utime) / steps,
                "wall_ms_per_step": 1e3 * wall / steps,
            }
        )
    )


def faults(batch: int, steps: int, repeats: int = 2) -> dict[str, list[dict[str, float]]]:
    """Page faults and CPU time per step with and without the setting, alternating children."""
    out: dict[str, list[dict[str, float]]] = {"retained": [], "glibc defaults": []}
    repo = str(Path(__file__).resolve().parents[1])
    for _ in range(repeats):
        for name in out:
            env = {**os.environ, "PYTHONPATH": repo}
            if name == "glibc defaults":
                env["GANZOO_MALLOC"] = "system"
            argv = [sys.executable, "-m", "benchmarks.step_profile", "--child"]
            argv += ["--batch", str(batch), "--steps", str(steps)]
            text = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
            out[name].append(json.loads(text.stdout.strip().splitlines()[-1]))
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Profile, measure the faults, print both as markdown."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.step_profile")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (profile)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _faults_child(args.batch, args.steps)
        return {}
    import torch

    from benchmarks.harness import machine_load

    if args.threads:
        torch.set_num_threads(args.threads)
    load = machine_load()
    shares = profile_groups(args.batch, args.steps)
    fl = faults(args.batch, max(args.steps, 5))
    print(f"dcgan/MNIST b{args.batch}, {torch.get_num_threads()} thread(s); {load.text()}")
    print("\n| group | share of self CPU time |\n| --- | ---: |")
    for group, share in shares.items():
        print(f"| {group} | {share:.1f}% |")
    print("\n| allocator | minor faults / step | system ms / step | user ms / step |")
    print("| --- | ---: | ---: | ---: |")
    for name, runs in fl.items():
        cells = [
            ", ".join(f"{r[k]:.0f}" if k == "faults_per_step" else f"{r[k]:.1f}" for r in runs)
            for k in ("faults_per_step", "sys_ms_per_step", "user_ms_per_step")
        ]
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"load after: {machine_load().text()}")
    return {"shares": shares, "faults": fl}


if __name__ == "__main__":
    main()
