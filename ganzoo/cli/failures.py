"""Which exceptions the CLI turns into one line of error, and the line each one becomes.

The command line never shows a traceback for bad input or a hostile environment: ganzoo's own
errors (`ganzoo.errors.GanzooError`), click's usage errors (a bad option value), and the
operating system's (a missing directory, a read-only or full file system, a dropped
connection) each become ``error: ...`` on one line. Anything else is a bug and keeps its
traceback. ``GANZOO_DEBUG=1`` shows the traceback of the known ones too.
"""

from __future__ import annotations

import errno
import os

from ganzoo.errors import GanzooError

EXIT_ERROR = 1
EXIT_USAGE = 2

_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is exceeded: free some space or write elsewhere",
    errno.EROFS: "the file system is read-only: write somewhere else (--out)",
    errno.EACCES: "permission denied: write somewhere you may write (--out)",
    errno.EPERM: "operation not permitted: write somewhere you may write (--out)",
    errno.ENOENT: "no such file or directory: check the path (directories are not created)",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.EISDIR: "it is a directory: name a file",
    errno.ENAMETOOLONG: "the file name is too long",
}


def debug() -> bool:
    """Whether ``GANZOO_DEBUG`` asks for tracebacks of the errors that are normally one line."""
    return os.environ.get("GANZOO_DEBUG", "").lower() in {"1", "true", "yes", "on"}


def os_error_line(err: OSError) -> str:
    """One line for an operating-system error: what failed, on which path, and what to do."""
    where = " -> ".join(str(p) for p in (err.filename, err.filename2) if p is not None)
    detail = err.strerror or str(err) or type(err).__name__
    hint = _OS_HINTS.get(err.errno or -1)
    return (f"{where}: " if where else "") + detail + (f" ({hint})" if hint else "")


def click_kinds(err: BaseException) -> set[str]:
    """Names of the click exception classes ``err`` is (typer vendors its own copy of click)."""
    return {c.__name__ for c in type(err).__mro__ if c.__module__.split(".")[-1] == "exceptions"}


def one_line(err: BaseException) -> tuple[str, int] | None:
    """The message and exit code for ``err``, or None if it is not a known kind (a bug).

    Args:
        err: An exception that left a command.

    Returns:
        ``(message, exit code)``; None for an exception that should keep its traceback.
    """
    if isinstance(err, GanzooError):
        # an error may carry its own status: a run interrupted by SIGINT/SIGTERM exits 130/143
        code = getattr(err, "exit_code", EXIT_ERROR)
        return str(err), code if isinstance(code, int) else EXIT_ERROR
    kinds = click_kinds(err)
    if "UsageError" in kinds:
        ctx = getattr(err, "ctx", None)
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        return err.format_message() + where, EXIT_USAGE  # type: ignore[attr-defined]
    if "ClickException" in kinds:
        return err.format_message(), err.exit_code  # type: ignore[attr-defined]
    if "Abort" in kinds:
        return "aborted", EXIT_ERROR
    if isinstance(err, OSError):
        return os_error_line(err), EXIT_ERROR
    if isinstance(err, MemoryError) or type(err).__name__ == "OutOfMemoryError":
        return (
            "out of memory: use a smaller batch, fewer samples (-n) or a smaller model",
            EXIT_ERROR,
        )
    return None
