"""A per-seed function whose error cannot be pickled, importable by spawned worker processes."""

from __future__ import annotations

import threading


class LockedError(Exception):
    """An error that cannot be pickled: it holds a lock (as some library errors hold a handle)."""

    def __init__(self) -> None:
        super().__init__("the cache is locked")
        self.lock = threading.Lock()


def fail_on_odd(seed: int) -> int:
    """``seed``, or a `LockedError` for an odd seed."""
    if seed % 2:
        raise LockedError
    return seed
