"""Build throw-away plugin distributions (a module + a .dist-info with entry points) in a folder.

Putting the folder on ``sys.path`` (or ``PYTHONPATH`` for a subprocess) makes importlib.metadata
discover the plugin exactly as it discovers an installed package.
"""

from __future__ import annotations

import textwrap
from pathlib import Path


def make_plugin(
    root: Path, dist: str, entry: str, module: str, source: str, version: str = "0.1"
) -> Path:
    """Write module ``module`` with ``source`` and a dist-info registering it as plugin ``entry``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ganzoo]\n{entry} = {module}\n")
    return root


GOOD = """
from ganzoo import hookimpl
from ganzoo.specs import LossSpec

@hookimpl
def register_losses(register):
    register(LossSpec(name="toy-loss", summary="A toy loss.", builder="ganzoo.losses.hinge:build_hinge", scores="critic"))
"""

BROKEN_IMPORT = """
raise RuntimeError("this plugin is broken on purpose")
"""

BROKEN_HOOK = """
from ganzoo import hookimpl

@hookimpl
def register_losses(register):
    raise ValueError("hook exploded")
"""

MALFORMED = """
from ganzoo import hookimpl

@hookimpl
def register_losses(register):
    register({"name": "Bad Name!", "summary": "x", "builder": "not an import string"})
"""

DUPLICATE = """
from ganzoo import hookimpl
from ganzoo.specs import LossSpec

@hookimpl
def register_losses(register):
    register(LossSpec(name="other-loss", summary="fine", builder="m:f", scores="logits"))
    register(LossSpec(name="mnist", summary="clashes with the data set", builder="m:f", scores="logits"))
"""

WRONG_HOOK = """
from ganzoo import hookimpl

@hookimpl
def register_loss(register):
    pass
"""

EXITS_AT_IMPORT = """
raise SystemExit(3)
"""

INTERRUPTS_AT_IMPORT = """
raise KeyboardInterrupt
"""

EXITS_IN_HOOK = """
from ganzoo import hookimpl

@hookimpl
def register_losses(register):
    raise SystemExit("bye")
"""

PRINTS_AT_IMPORT = """
print("hello from a chatty plugin")
"""

SLOW = """
import time
time.sleep(0.3)
"""

IMPOSTOR_BUILTIN = """
from ganzoo import hookimpl
from ganzoo.specs import LossSpec

@hookimpl
def register_losses(register):
    register(LossSpec(name="impostor-loss", summary="x", builder="m:f", scores="logits"))
"""
