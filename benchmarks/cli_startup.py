"""`ganzoo list` wall time and peak RSS against `python -c "import torch"`, in one run.

    python -m benchmarks.cli_startup [--runs 15] [--no-write]

Each command runs ``--runs`` times alternately; the table reports medians. Peak RSS is each
child's own ``VmHWM``, read from /proc while it runs (`benchmarks.harness.PeakRSS`): ``wait4``'s
``ru_maxrss`` would also count this process's memory, which the child's exec replaced.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import PeakRSS
from benchmarks.report import machine, publish

BIN = Path(sys.executable).parent


def measure(cmd: list[str], tty: bool = False) -> tuple[float, float]:
    """(wall seconds, its own peak RSS MiB) of one run of ``cmd``; ``tty`` gives it a terminal."""
    import pty
    import threading

    master = slave = None
    if tty:
        master, slave = pty.openpty()
        os.set_blocking(master, True)

        def drain() -> None:  # read the terminal's output so the child never blocks on it
            try:
                while os.read(master, 65536):
                    pass
            except OSError:
                pass

        threading.Thread(target=drain, daemon=True).start()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=slave if tty else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "120"},
    )
    with PeakRSS(proc.pid) as peak:
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if tty:
        os.close(slave)
        os.close(master)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    rss = peak.mib(usage)
    if rss is None:
        raise SystemExit(
            f"{' '.join(cmd)} exited before its memory could be read: time a command that runs longer"
        )
    return wall, rss


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    args = parser.parse_args(argv)
    ganzoo = str(BIN / "ganzoo")
    commands = {  # name: (command, stdout is a terminal)
        "ganzoo list (stdout a terminal)": ([ganzoo, "list"], True),
        "ganzoo list (stdout piped)": ([ganzoo, "list"], False),
        "ganzoo list --json": ([ganzoo, "list", "--json"], False),
        "python -c 'import torch'": ([sys.executable, "-c", "import torch"], False),
    }
    for cmd, tty in commands.values():  # warm the file cache
        measure(cmd, tty)
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    for _ in range(args.runs):
        for name, (cmd, tty) in commands.items():
            samples[name].append(measure(cmd, tty))
    results = {
        name: {
            "wall_s": statistics.median(w for w, _ in s),
            "rss_mib": statistics.median(r for _, r in s),
        }
        for name, s in samples.items()
    }
    torch_wall = results["python -c 'import torch'"]["wall_s"]
    lines = [
        "## CLI start-up (`ganzoo list`)",
        "",
        f"Machine: {machine()}. Median of {args.runs} runs each, alternating. "
        f"Command: `python -m benchmarks.cli_startup`. Load average before the run: {os.getloadavg()[0]:.2f}. "
        "Target: `ganzoo list` <= 0.25 s and <= 60 MB; torch is never imported (a test checks it).",
        "",
        "| command | wall (s) | peak RSS (MiB) | wall vs `import torch` |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| `{name}` | {r['wall_s']:.3f} | {r['rss_mib']:.1f} | {r['wall_s'] / torch_wall:.2f}x |"
        )
    publish("cli", lines, write=not args.no_write)
    return results


if __name__ == "__main__":
    main()
