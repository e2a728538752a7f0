"""How a contract check fails: one ``AssertionError`` that names the entry, the problem and the fix."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ContractError(AssertionError):
    """An entry breaks ganzoo's contract for its kind; the message says what to fix.

    A subclass of ``AssertionError``, so pytest reports it as a failed assertion.
    """


def fail(where: str, problem: str, fix: str) -> ContractError:
    """The error for ``where`` (e.g. ``"architecture 'pacgan'"``): what is wrong, what to do."""
    return ContractError(f"{where}: {problem}. Fix: {fix}")


def expect(ok: bool, where: str, problem: str, fix: str) -> None:
    """Raise `fail(where, problem, fix)` unless ``ok``."""
    if not ok:
        raise fail(where, problem, fix)


@contextmanager
def step(
    where: str, what: str, fix: str, missing: tuple[type[BaseException], ...] = ()
) -> Iterator[None]:
    """Turn any exception raised while doing ``what`` into a `ContractError` naming it.

    Exceptions of the ``missing`` types (files or weights this machine lacks) pass unchanged.
    """
    try:
        yield
    except (ContractError, *missing):
        raise
    except Exception as err:
        raise fail(where, f"{what} raised {type(err).__name__}: {err}", fix) from err


def finite(value: Any) -> bool:
    """Whether a float or a tensor holds only finite values."""
    if hasattr(value, "isfinite"):
        return bool(value.isfinite().all())
    return math.isfinite(float(value))
