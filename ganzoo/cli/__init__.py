"""The ``ganzoo`` command line (typer + rich).

Each module of this package adds its commands through ``register(app)``. Modules import torch only
inside the commands that need it, so ``ganzoo list`` stays fast.
"""

from __future__ import annotations

import sys

import typer

from ganzoo import __version__
from ganzoo.cli import diagnose_cmds, evaluate_cmds, hub_cmds, listing, train_cmds
from ganzoo.cli.output import print_error
from ganzoo.errors import GanzooError

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


for _module in (listing, train_cmds, evaluate_cmds, diagnose_cmds, hub_cmds):
    _module.register(app)


def main() -> None:
    """Console entry point: runs the app; ganzoo's own errors become one line and exit code 1."""
    try:
        app()
    except GanzooError as err:
        print_error(str(err))
        sys.exit(1)
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(130)
