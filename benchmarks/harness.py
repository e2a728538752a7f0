"""Paired benchmarks of whole commands, each run in its own fresh process.

    python -m benchmarks.harness --pairs 5 --a "CMD A" --b "CMD B" [--metric wall|tag:TAG:KEY]

A comparison runs side A and side B as separate processes, alternately (pair ``i`` runs A then
B when ``i`` is even, B then A when odd, so neither side always runs on a machine the other just
warmed or loaded), ``pairs`` times. Each run's figure is read from the finished process: its
wall time, a ``TAG {json}`` line it printed, or a JSON file it wrote (``{tmp}`` in a command is
replaced by a fresh empty folder per run). The report gives, for each side and for the per-pair
ratio A/B, the median, the minimum and maximum and the interquartile range; the machine's load
(``/proc/loadavg``, and the share of CPU time busy from ``/proc/stat``) before the first run,
over the whole measurement and after the last run; each run's wall and CPU (user + system)
seconds from ``wait4``, its own peak RSS (`PeakRSS`: ``VmHWM`` from /proc); and the exact commands.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def scratch_run_dir(prefix: str) -> Path:
    """A fresh ``run`` path inside a new temporary folder that is removed when the process exits.

    For benchmark runs whose files (config, records, checkpoints) nobody reads afterwards.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, True)
    return folder / "run"


@dataclass(frozen=True)
class RunOutput:
    """What one finished run left: its measurements, output and folder.

    Attributes:
        wall_s: Seconds from the start of the process to its exit (monotonic clock).
        cpu_s: User + system CPU seconds of the process and the children it waited for.
        peak_rss_mib: The process's own peak resident set, MiB (`PeakRSS`); None when it ended
            before it could be read.
        returncode: The exit status.
        stdout: What it printed on stdout.
        stderr: What it printed on stderr.
        tmp: The run's own folder (what ``{tmp}`` was replaced by).
    """

    wall_s: float
    cpu_s: float
    peak_rss_mib: float | None
    returncode: int
    stdout: str
    stderr: str
    tmp: Path


Metric = Callable[[RunOutput], float]
"""Reads one run's figure from its output."""


def wall_seconds(out: RunOutput) -> float:
    """The process's wall seconds."""
    return out.wall_s


def tagged_json(tag: str, key: str) -> Metric:
    """A metric reading ``key`` from the last stdout line ``TAG {json}``."""

    def read(out: RunOutput) -> float:
        for line in reversed(out.stdout.splitlines()):
            if line.startswith(tag + " "):
                return float(json.loads(line[len(tag) + 1 :])[key])
        raise ValueError(f"no '{tag} {{...}}' line in the output")

    return read


def json_file(relative: str, key: str) -> Metric:
    """A metric reading ``key`` from the JSON file ``{tmp}/relative`` the run wrote."""

    def read(out: RunOutput) -> float:
        return float(json.loads((out.tmp / relative).read_text())[key])

    return read


def parse_metric(text: str) -> Metric:
    """``wall``, ``tag:TAG:KEY`` or ``file:RELATIVE:KEY`` as a metric."""
    if text == "wall":
        return wall_seconds
    kind, _, rest = text.partition(":")
    name, _, key = rest.rpartition(":")
    if kind == "tag" and name and key:
        return tagged_json(name, key)
    if kind == "file" and name and key:
        return json_file(name, key)
    raise ValueError(f"metric {text!r}: use wall, tag:TAG:KEY or file:RELATIVE:KEY")


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a command and how to read its figure.

    Attributes:
        name: What the tables call it.
        argv: The command; ``{tmp}`` in an argument becomes the run's fresh folder.
        metric: Reads the figure from a finished run (default: its wall seconds).
        env: Variables set for the command on top of this process's environment.
    """

    name: str
    argv: Sequence[str]
    metric: Metric = wall_seconds
    env: Mapping[str, str] = field(default_factory=dict)

    def command(self) -> str:
        """The command as one shell line (its extra variables first), for the docs."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        return " ".join(filter(None, [env, shlex.join(self.argv)]))


def run_once(side: Side, timeout: float | None = None) -> RunOutput:
    """Run ``side``'s command once in a fresh process and a fresh folder.

    Raises:
        RuntimeError: The command exited non-zero or ran past ``timeout`` (killed).
    """
    tmp = Path(tempfile.mkdtemp(prefix="ganzoo-harness-"))
    argv = [a.replace("{tmp}", str(tmp)) for a in side.argv]
    out_path, err_path = tmp / ".stdout", tmp / ".stderr"
    try:
        with out_path.open("wb") as out, err_path.open("wb") as err:
            start = time.perf_counter()
            pid = os.posix_spawnp(argv[0], argv, {**os.environ, **side.env}, file_actions=[
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
            ])  # fmt: skip
            with PeakRSS(pid) as peak:
                status, usage = _wait(pid, start, timeout)
                wall = time.perf_counter() - start
    except BaseException:  # spawn failed or timed out: no result holds the folder, remove it
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    code = os.waitstatus_to_exitcode(status)
    result = RunOutput(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=peak.mib(usage),
        returncode=code,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
        tmp=tmp,
    )
    if code != 0:
        shutil.rmtree(tmp, ignore_errors=True)  # what it printed is in the message
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{shlex.join(argv)} exited {code}: {' | '.join(tail)}")
    return result


def _wait(pid: int, start: float, timeout: float | None) -> tuple[int, Any]:
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG if timeout else 0)
        if done:
            return status, usage
        if timeout and time.perf_counter() - start > timeout:
            os.kill(pid, 9)
            os.wait4(pid, 0)
            raise RuntimeError(f"timed out after {timeout:.0f} s")
        time.sleep(0.05)


# ----------------------------------------------------------------------------- peak memory
PROC = Path("/proc")
"""Where a process's status is read (Linux's procfs); without it `PeakRSS` falls back to wait4."""

POLL_S = (0.005, 0.05)
"""`PeakRSS`'s sampling interval: the shortest (at the start) and the longest, in seconds."""


def _maxrss_mib(usage: Any) -> float:
    """``ru_maxrss`` in MiB: KiB on Linux and the BSDs, bytes on macOS."""
    return usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)


class PeakRSS:
    """A child process's own peak resident set: ``VmHWM`` of /proc/PID/status, read while it runs.

    Not ``ru_maxrss`` from ``wait4``: on Linux a process's maximum RSS survives ``exec`` (the
    kernel keeps the high-water mark of the memory that exec replaced), and a child started by
    ``posix_spawn`` or ``subprocess`` (``vfork``) replaces its parent's memory, so ``ru_maxrss``
    is at least the spawning process's own peak (``/bin/true`` spawned from a Python holding
    400 MiB reports 414 MiB); it also counts the children the process waited for. ``VmHWM``
    belongs to the memory the command has run in since its exec: its own peak.

    The first read happens in the constructor (``posix_spawn`` and ``Popen`` return after the
    child's exec, so that is already the command's memory), the rest in a thread, every 5 ms
    at first and every 1/50 of the time elapsed after that, at most every 50 ms (reading costs
    about 45 us: under 2% of a core at 5 ms, under 0.1% at 50 ms). The peak is the largest read,
    so growth in a run's last interval (at most 2% of its time, or 50 ms) is missed; a
    process's exit (Python's shutdown) usually takes longer than that. The status file stays
    open from the first read, so a reaped process's pid, reused, is never read. Where /proc is
    absent (macOS), `mib` falls back to ``ru_maxrss``, with the caveat above.

    Args:
        pid: The child, started and not yet waited for.
    """

    def __init__(self, pid: int) -> None:
        self._kib: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            self._fd: int | None = os.open(PROC / str(pid) / "status", os.O_RDONLY)
        except OSError:  # no procfs: mib() reads ru_maxrss
            self._fd = None
        self._procfs = self._fd is not None
        if self._fd is None:
            return
        self._sample()
        self._thread = threading.Thread(target=self._poll, name=f"peak-rss-{pid}", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        assert self._fd is not None
        try:
            data = os.pread(self._fd, 4096, 0)
        except OSError:  # reaped
            return
        at = data.find(b"VmHWM:")
        if at >= 0:  # absent once the process has exited (a zombie has no memory)
            kib = int(data[at + 6 : data.index(b"kB", at)])
            self._kib = kib if self._kib is None else max(self._kib, kib)

    def _poll(self) -> None:
        start = time.perf_counter()
        low, high = POLL_S
        while not self._stop.wait(min(high, max(low, (time.perf_counter() - start) / 50))):
            self._sample()

    def stop(self) -> None:
        """Stop reading (call it once the process has exited; idempotent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> PeakRSS:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def mib(self, usage: Any) -> float | None:
        """The peak in MiB: the largest ``VmHWM`` read; None when /proc was there but the process
        ended before its first read; where /proc is absent, ``usage.ru_maxrss`` (``wait4``'s)."""
        if self._kib is not None:
            return self._kib / 1024
        if self._procfs:
            return None
        return _maxrss_mib(usage)


# ----------------------------------------------------------------------------- machine load
def cpu_times() -> tuple[int, int]:
    """``(busy, total)`` jiffies of all CPUs from /proc/stat (busy: not idle or iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def busy_percent(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of CPU time that was busy between two `cpu_times` readings, in %."""
    busy, total = after[0] - before[0], after[1] - before[1]
    return 100.0 * busy / total if total else float("nan")


@dataclass(frozen=True)
class Load:
    """The machine's load at one moment.

    Attributes:
        loadavg: The 1, 5 and 15 minute load averages.
        busy_percent: CPU busy share over the ``window_s`` seconds before the reading.
        window_s: The window of ``busy_percent``.
        cores: Processors online.
    """

    loadavg: tuple[float, float, float]
    busy_percent: float
    window_s: float
    cores: int

    def text(self) -> str:
        """E.g. ``load 3.1 / 4.2 / 4.0, CPU 87% busy (1 s), 2 cores``."""
        one, five, fifteen = self.loadavg
        return (
            f"load {one:.1f} / {five:.1f} / {fifteen:.1f}, CPU {self.busy_percent:.0f}% busy "
            f"({self.window_s:.0f} s), {self.cores} cores"
        )


def machine_load(window_s: float = 1.0, since: tuple[int, int] | None = None) -> Load:
    """The load averages now and the CPU busy share over the last ``window_s`` seconds (or
    since the `cpu_times` reading ``since``, when given, over however long that was)."""
    if since is None:
        since = cpu_times()
        time.sleep(window_s)
    elif window_s <= 0:
        window_s = 0.0
    now = cpu_times()
    one, five, fifteen = os.getloadavg()
    return Load((one, five, fifteen), busy_percent(since, now), window_s, os.cpu_count() or 1)


# ----------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Spread:
    """Median and spread of a list of figures.

    Attributes:
        values: The figures, in run order.
        median: Their median.
        low: The smallest.
        high: The largest.
        q1: The first quartile (inclusive method; the median when there is one value).
        q3: The third quartile.
    """

    values: tuple[float, ...]
    median: float
    low: float
    high: float
    q1: float
    q3: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """The spread of ``values`` (at least one)."""
        vals = tuple(float(v) for v in values)
        med = statistics.median(vals)
        q1, q3 = (
            statistics.quantiles(vals, n=4, method="inclusive")[::2]
            if len(vals) > 1
            else (med,) * 2
        )
        return cls(vals, med, min(vals), max(vals), q1, q3)

    def text(self, fmt: str = "{:.1f}", unit: str = "") -> str:
        """E.g. ``912.3 (870.1-950.2, IQR 900.0-930.4)``."""
        f = fmt.format
        if len(self.values) == 1:
            return f"{f(self.median)}{unit} (1 run)"
        return (
            f"{f(self.median)}{unit} ({f(self.low)}-{f(self.high)}, IQR {f(self.q1)}-{f(self.q3)})"
        )


@dataclass(frozen=True)
class Comparison:
    """The outcome of `compare`.

    Attributes:
        a: Side A's name.
        b: Side B's name.
        commands: Each side's exact command.
        a_values: Side A's figure per pair.
        b_values: Side B's figure per pair.
        ratios: A's figure / B's figure, per pair.
        runs: Every run's wall, CPU, peak RSS and side, in the order they ran.
        load_before: The load before the first run (busy share over 1 s).
        load_during: The load averages at the end and the busy share over the whole comparison.
        load_after: The load after the last run (busy share over 1 s).
    """

    a: str
    b: str
    commands: dict[str, str]
    a_values: Spread
    b_values: Spread
    ratios: Spread
    runs: list[dict[str, Any]]
    load_before: Load
    load_during: Load
    load_after: Load

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready values."""
        return asdict(self)

    def summary(self, fmt: str = "{:.1f}", ratio_fmt: str = "{:.2f}") -> str:
        """A few lines: each side, the ratio, the load and the commands."""
        return "\n".join(
            [
                f"{self.a}: {self.a_values.text(fmt)}",
                f"{self.b}: {self.b_values.text(fmt)}",
                f"ratio {self.a} / {self.b}: {self.ratios.text(ratio_fmt, 'x')}",
                f"load before: {self.load_before.text()}",
                f"load during: {self.load_during.text()}",
                f"load after: {self.load_after.text()}",
                *(f"{name}: `{cmd}`" for name, cmd in self.commands.items()),
            ]
        )


def compare(
    a: Side,
    b: Side,
    pairs: int = 5,
    warmup: bool = True,
    timeout: float | None = None,
    log: Callable[[str], None] | None = print,
) -> Comparison:
    """Run ``a`` and ``b`` alternately, ``pairs`` times each, every run in a fresh process.

    Args:
        a: Side A (the ratio's numerator).
        b: Side B (the ratio's denominator: the baseline).
        pairs: Runs of each side; pair ``i`` runs A first when ``i`` is even, else B first.
        warmup: Run each side once first, uncounted (fills the OS file cache, compiles .pyc).
        timeout: Seconds one run may take before it is killed (an error).
        log: Where each run's one-line result goes (None: nowhere).

    Raises:
        RuntimeError: A run failed or timed out.
        ValueError: ``pairs`` < 1, or a run's figure could not be read.
    """
    if pairs < 1:
        raise ValueError("pairs must be at least 1")
    say = log or (lambda _: None)
    if warmup:
        for side in (a, b):
            out = run_once(side, timeout)
            value = _read(side, out)
            say(f"warm-up {side.name}: {value:.4g} ({out.wall_s:.1f} s)")
    load_before = machine_load()
    start_times, start = cpu_times(), time.perf_counter()
    values: dict[str, list[float]] = {a.name: [], b.name: []}
    runs: list[dict[str, Any]] = []
    for i in range(pairs):
        for side in (a, b) if i % 2 == 0 else (b, a):
            out = run_once(side, timeout)
            value = _read(side, out)
            values[side.name].append(value)
            rss = out.peak_rss_mib
            runs.append(
                {
                    "pair": i,
                    "side": side.name,
                    "value": value,
                    "wall_s": round(out.wall_s, 4),
                    "cpu_s": round(out.cpu_s, 4),
                    "peak_rss_mib": rss if rss is None else round(rss, 1),
                    "loadavg_1min": os.getloadavg()[0],
                }
            )
            say(f"pair {i + 1}/{pairs} {side.name}: {value:.4g} ({out.wall_s:.1f} s wall)")
    load_during = machine_load(time.perf_counter() - start, since=start_times)
    load_after = machine_load()
    av, bv = values[a.name], values[b.name]
    return Comparison(
        a=a.name,
        b=b.name,
        commands={a.name: a.command(), b.name: b.command()},
        a_values=Spread.of(av),
        b_values=Spread.of(bv),
        ratios=Spread.of([x / y for x, y in zip(av, bv, strict=True)]),
        runs=runs,
        load_before=load_before,
        load_during=load_during,
        load_after=load_after,
    )


def _read(side: Side, out: RunOutput) -> float:
    """The run's figure; its folder is removed after."""
    try:
        return side.metric(out)
    finally:
        shutil.rmtree(out.tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> Comparison:
    """Compare two commands given on the command line; print the summary (and JSON)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.harness", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--a", required=True, help="command A, one shell-quoted string")
    parser.add_argument("--b", required=True, help="command B (the baseline)")
    parser.add_argument("--a-name", default="A")
    parser.add_argument("--b-name", default="B")
    parser.add_argument("--metric", default="wall", help="wall, tag:TAG:KEY or file:REL:KEY")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per run")
    parser.add_argument("--json", metavar="FILE", help="also write the whole comparison here")
    args = parser.parse_args(argv)
    metric = parse_metric(args.metric)
    result = compare(
        Side(args.a_name, shlex.split(args.a), metric),
        Side(args.b_name, shlex.split(args.b), metric),
        pairs=args.pairs,
        warmup=not args.no_warmup,
        timeout=args.timeout,
    )
    print(result.summary("{:.4g}"))
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2, default=str))
    return result


if __name__ == "__main__":
    main()
