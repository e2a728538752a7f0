"""A process's CPU clock (its own threads and its worker processes) and snapshots at marks on it.

Used from inside a training process, after each step: the time-to-quality benchmark
(`benchmarks.time_to_quality`) saves the generator when the process has spent 30, 60, ... CPU
seconds, on both of its sides (``ganzoo train`` and the textbook script), with the same clock:

* `ProcessTreeClock`: user + system CPU seconds since the process started, of every thread of
  this process (``os.times``), of the children it has waited for (``os.times``'
  ``children_*``: DataLoader workers of finished epochs) and of its live children and their
  descendants (``/proc/PID/stat`` utime + stime + cutime + cstime: the running epoch's workers).
* `CpuMarks`: after each step, saves a snapshot at every mark passed and says when the last one
  is done. The CPU seconds spent saving are taken off the clock, so writing snapshots costs
  neither side anything. With ``log``, each snapshot (and the clock after the first step) is
  appended to that file as a JSON line as soon as it is taken, so a run stopped early leaves
  the record of what it saved.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (None: the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def child_pids(pid: int) -> list[int]:
    """The live children of ``pid`` and their descendants (a scan of ``/proc``)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


class ProcessTreeClock:
    """The CPU clock of this process and its workers, rescanning ``/proc`` for new children at
    most once per ``rescan_s`` wall seconds (a scan costs milliseconds; reading known children is
    cheap). A worker started since the last scan is counted, with all it spent, from the next
    scan on."""

    def __init__(self, rescan_s: float = 1.0) -> None:
        self.rescan_s = rescan_s
        self._pids: list[int] = []
        self._scanned = -float("inf")

    def __call__(self) -> float:
        """User + system CPU seconds of this process, its waited-for and its live children."""
        now = time.monotonic()
        if now - self._scanned >= self.rescan_s:
            self._pids, self._scanned = child_pids(os.getpid()), now
        t = os.times()
        total = t.user + t.system + t.children_user + t.children_system
        for pid in self._pids:
            fields = _stat(pid)
            if fields is not None:  # utime, stime, cutime, cstime (fields 14-17 of stat)
                total += sum(int(v) for v in fields[11:15]) / _TICK
        return total


def parse_marks(text: str) -> list[float]:
    """``"30,60,120"`` as ``[30.0, 60.0, 120.0]`` (positive, increasing)."""
    marks = [float(v) for v in text.split(",") if v.strip()]
    if not marks or any(m <= 0 for m in marks) or marks != sorted(set(marks)):
        raise ValueError(f"CPU marks {text!r}: give increasing positive seconds, e.g. 30,60,120")
    return marks


class CpuMarks:
    """Snapshots at CPU-second marks: call `after_step` after every training step.

    Args:
        marks: CPU seconds (of `ProcessTreeClock`) at which to save, increasing.
        save: ``save(mark, cpu_seconds, step)`` writes the snapshot of ``mark``.
        clock: The clock (default: a `ProcessTreeClock`).
        log: A file to append each record to, one JSON line each (None: none).

    Attributes:
        first_step: The clock after the first step (start-up and one step).
        saved: One ``{"mark", "cpu_seconds", "step", "save_cpu_seconds"}`` per snapshot:
            the clock (saving excluded) and the step count when it was taken, and what the
            save itself cost (taken off the clock).
    """

    def __init__(
        self,
        marks: Sequence[float],
        save: Callable[[float, float, int], None],
        clock: Callable[[], float] | None = None,
        log: str | Path | None = None,
    ) -> None:
        self.marks = list(marks)
        self.save = save
        self.clock = clock or ProcessTreeClock()
        self.log = Path(log) if log is not None else None
        self.overhead = 0.0
        self.first_step: float | None = None
        self.saved: list[dict[str, float]] = []

    def after_step(self, step: int) -> bool:
        """Save a snapshot for every mark the clock has passed; True once the last is saved."""
        if self.first_step is None:
            self.first_step = round(self.clock(), 3)
            self._write({"first_step_cpu_seconds": self.first_step})
        while self.marks and (now := self.clock() - self.overhead) >= self.marks[0]:
            mark = self.marks.pop(0)
            self.save(mark, now, step)
            cost = self.clock() - self.overhead - now
            self.overhead += cost
            self.saved.append(
                {"mark": mark, "cpu_seconds": round(now, 3), "step": step,
                 "save_cpu_seconds": round(cost, 4)}
            )  # fmt: skip
            self._write(self.saved[-1])
        return not self.marks

    def _write(self, row: dict[str, float]) -> None:
        if self.log is not None:
            with self.log.open("a") as fh:
                fh.write(json.dumps(row) + "\n")

    def report(self) -> dict[str, object]:
        """``{"first_step_cpu_seconds": ..., "snapshots": saved}``, JSON-ready."""
        return {"first_step_cpu_seconds": self.first_step, "snapshots": self.saved}


def read_log(path: str | Path) -> dict[str, object]:
    """What a `CpuMarks` log holds, as `CpuMarks.report` gives it (a missing file: nothing)."""
    out: dict[str, object] = {"first_step_cpu_seconds": None, "snapshots": []}
    if Path(path).is_file():
        for line in Path(path).read_text().split("\n")[:-1]:  # whole lines only
            row = json.loads(line)
            if "mark" in row:
                out["snapshots"].append(row)  # type: ignore[attr-defined]
            else:
                out.update(row)
    return out
