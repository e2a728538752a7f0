"""Run every benchmark: ``python -m benchmarks [--quick] [--no-write]``.

First the separate-process baselines (``baselines``: every ratio with each side in its own fresh
process, the headline figures), then the training step rate (``train_step``: in one process, then
sngan-resnet and stylegan2 at 32 px against their textbook loops, separate processes), sampling
rate (``sample_rate``), memory (``memory``), CLI
start-up (``cli_startup``), the image-folder data pipeline (``data_pipeline``), evaluation
before and after it was made fast (``evaluate_speed``), when present, the diagnostics
benchmark, and last the longest, dcgan/MNIST quality at equal CPU time against the textbook
script (``time_to_quality``: about 3,000 CPU seconds of training). Each rewrites its own
section of docs/benchmarks.md unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import importlib


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks one after another."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small settings everywhere")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    args = parser.parse_args(argv)
    common = ["--no-write"] if args.no_write else []
    quick = ["--quick"] if args.quick else []
    plan = [
        ("benchmarks.baselines", quick + common),
        ("benchmarks.train_step", quick + common),
        ("benchmarks.sample_rate", quick + common),
        ("benchmarks.memory", quick + common),
        ("benchmarks.cli_startup", (["--runs", "3"] if args.quick else []) + common),
        ("benchmarks.diagnostics.__main__", quick + common),
        ("benchmarks.data_pipeline", quick + common),
        ("benchmarks.evaluate_speed", quick + common),
        ("benchmarks.time_to_quality", quick + common),
    ]
    for module, module_args in plan:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            print(f"== {module}: not available ({err})")
            continue
        print(f"== {module} {' '.join(module_args)}")
        mod.main(module_args)


if __name__ == "__main__":
    main()
