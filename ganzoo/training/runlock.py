"""The claim on a run directory: one training process at a time, for the run's whole life.

A run takes an exclusive ``flock`` on ``<run dir>/.lock`` before it looks at the directory and
keeps it until it ends, so two ``ganzoo train --out SAME`` started together cannot both write
there: the second stops with one line naming the process that holds the directory. The kernel
drops the lock when its process dies (a crash, ``kill -9``), so a lock left behind never blocks
a later run; the file still names the dead process, and the run that takes over says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from ganzoo.errors import ConfigError

LOCK_FILE = ".lock"

try:  # POSIX; elsewhere the claim is the lock file's content alone (see `RunLock`)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _holder(text: str) -> dict[str, object]:
    try:
        info = json.loads(text)
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def _describe(info: dict[str, object]) -> str:
    if not info:
        return "another process"
    since = info.get("since")
    when = (
        time.strftime(" since %Y-%m-%d %H:%M:%S", time.localtime(float(since)))
        if isinstance(since, int | float)
        else ""
    )
    return f"process {info.get('pid', '?')} on {info.get('host', '?')}{when}"


@dataclass
class RunLock:
    """An exclusive claim on a run directory, held until `release` (or the process ends).

    Attributes:
        path: The lock file.
        previous: The holder the lock file named when it was taken over from a process that
            ended without releasing it (None: the claim was clean).
    """

    path: Path
    previous: dict[str, object] | None = None
    created: tuple[Path, ...] = ()
    """The folders the claim made, the run directory first, then each new parent upward."""
    _fd: int | None = field(default=None, repr=False)

    @property
    def held(self) -> bool:
        """Whether this object still holds the claim."""
        return self._fd is not None

    def release(self) -> None:
        """Give the claim up (the lock file is left: it only names the last holder)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def abandon(self) -> None:
        """Give the claim up after a run that never started (bad input, say).

        The run directory goes too when this claim created it and it holds nothing but the
        lock file, and so do the parents the claim created that are left empty (``runs/``), so
        a failed ``ganzoo train`` leaves no empty folder behind; anything else is kept.
        """
        run_dir = self.path.parent
        if self.created and self.held:
            with contextlib.suppress(OSError):
                if [p.name for p in run_dir.iterdir()] == [LOCK_FILE]:
                    self.path.unlink()
                    for folder in self.created:  # rmdir refuses a folder that is not empty
                        folder.rmdir()
        self.release()

    def stale_note(self) -> str | None:
        """A line about the holder this claim took over from, or None after a clean claim."""
        if not self.previous:
            return None
        return (
            f"{self.path} named {_describe(self.previous)}, which ended without releasing it "
            "(killed or crashed); this run took the directory over"
        )


def claim_run_dir(run_dir: Path) -> RunLock:
    """Claim ``run_dir`` for this process (creating it), or fail if another process holds it.

    Args:
        run_dir: The run directory.

    Returns:
        The held claim; release it when the run ends.

    Raises:
        ConfigError: Another live process holds the directory (named by pid, host and start).
    """
    run_dir = Path(run_dir)
    created = tuple(p for p in (run_dir, *run_dir.parents) if not p.exists())
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create run directory {run_dir}: {err.strerror}") from None
    path = run_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise ConfigError(f"cannot claim run directory {run_dir}: {path}: {err.strerror}") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(_read(fd))
        os.close(fd)
        raise ConfigError(
            f"run directory {run_dir} is in use by {_describe(holder)} (it holds {path}); "
            "wait for that run to end, or choose another --out"
        ) from None
    previous = _holder(_read(fd)) or None
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": round(time.time(), 3)}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(me).encode(), 0)
    os.fsync(fd)
    return RunLock(path, previous, created, fd)


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        return ""
