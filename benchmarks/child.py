"""Run one benchmark function in a fresh interpreter and read back its JSON result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def call_in_child(module: str, function: str, **kwargs: Any) -> dict[str, Any]:
    """``module.function(**kwargs)`` in a fresh Python process (its own memory and threads).

    The function must return JSON-able values; a child that prints no result raises
    ``RuntimeError`` with the end of its stderr.
    """
    code = (
        f"import json; from {module} import {function} as f; "
        f"print('RESULT' + json.dumps(f(**{kwargs!r})))"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=False
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT") :])  # type: ignore[no-any-return]
    raise RuntimeError(f"benchmark child {module}.{function} failed:\n{proc.stderr[-3000:]}")
