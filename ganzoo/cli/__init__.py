"""The ``ganzoo`` command line (typer + rich).

Each module of this package adds its commands through ``register(app)``. Modules import torch only
inside the commands that need it, so ``ganzoo list`` stays fast.
"""

from __future__ import annotations

import sys

import typer

from ganzoo import __version__
from ganzoo.cli import (
    diagnose_cmds,
    evaluate_cmds,
    export_cmds,
    hub_cmds,
    listing,
    reproduce_cmds,
    sample_cmds,
    train_cmds,
)
from ganzoo.cli.failures import click_kinds, debug, one_line
from ganzoo.cli.output import print_error

app = typer.Typer(
    name="ganzoo",
    help="A pluggable model zoo for GANs: list, train, sample, diagnose, evaluate, push and pull.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"ganzoo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """A pluggable model zoo for GANs."""


for _module in (
    listing, train_cmds, sample_cmds, evaluate_cmds, reproduce_cmds, diagnose_cmds, hub_cmds,
    export_cmds,
):  # fmt: skip
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the app; every known error becomes one line and a non-zero exit.

    ganzoo's own errors, bad option values (click's usage errors) and operating-system errors
    (a missing directory, a read-only or full disk) print ``error: ...`` on one line, with
    outside text escaped (`ganzoo.cli.failures`); ``GANZOO_DEBUG=1`` shows their traceback.

    Args:
        argv: The arguments (None: ``sys.argv[1:]``).
    """
    try:
        code = app(args=argv, prog_name="ganzoo", standalone_mode=False)
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(130)
    except Exception as err:
        if "NoArgsIsHelpError" in click_kinds(err):
            err.show()  # type: ignore[attr-defined]  # `ganzoo` alone prints the help, as before
            sys.exit(err.exit_code)  # type: ignore[attr-defined]
        known = one_line(err)
        if known is None or debug():
            raise
        print_error(known[0])
        sys.exit(known[1])
    sys.exit(code if isinstance(code, int) else 0)
