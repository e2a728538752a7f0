"""Contract checks for registry entries: one call per entry, from a plugin's own tests.

```python
# tests/test_my_plugin.py of a plugin package
import ganzoo.testing


def test_pacgan():
    ganzoo.testing.check_architecture("pacgan", options={"width": 4, "g_hidden": [16]})


def test_everything_the_plugin_registers():
    ganzoo.testing.check_plugin("pacgan", options={"pacgan": {"width": 4}})
```

Every check raises [`ContractError`][ganzoo.testing.ContractError] (an ``AssertionError``) whose
message names the entry, what is wrong and what to fix. ganzoo's own tests run these checks on
every built-in entry (``tests/core/test_contracts.py``), so an entry that passes them behaves as
the built-in ones do everywhere in ganzoo: training, sampling, evaluation, diagnostics, loading.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ganzoo.testing._report import ContractError
from ganzoo.testing.data import check_dataset, check_metric, synthetic_data
from ganzoo.testing.metadata import check_plugin_loads, check_spec, entry_of, options_for
from ganzoo.testing.networks import check_architecture, check_model
from ganzoo.testing.parts import check_diagnostic, check_loss

__all__ = [
    "ContractError",
    "check_architecture",
    "check_dataset",
    "check_diagnostic",
    "check_entry",
    "check_logger",
    "check_loss",
    "check_metric",
    "check_model",
    "check_plugin",
    "check_spec",
    "synthetic_data",
]


def check_logger(name: str, **options: Any) -> None:
    """Check experiment logger ``name``: it builds into a callback that survives a short run.

    The libraries its spec ``requires`` must be installed; it is built with ``options`` and
    attached to a two-step run of ``gan`` on 2-D points, which must finish.

    Raises:
        ContractError: Something is wrong; the message says what to fix.
    """
    from importlib.util import find_spec

    from ganzoo.building import build_entry
    from ganzoo.testing._report import expect, step
    from ganzoo.testing.runs import train_briefly
    from ganzoo.training.callbacks import Callback

    spec = check_spec(name, "logger")
    where = f"logger {name!r}"
    missing = [m for m in getattr(spec, "requires", ()) if find_spec(m) is None]
    expect(
        not missing,
        where,
        f"needs {missing}, which is not installed",
        str(getattr(spec, "install", None) or "install it"),
    )
    with step(
        where, f"building it with {options}", "make the builder build(config) return a Callback"
    ):
        logger = build_entry(name, **options)
    expect(
        isinstance(logger, Callback),
        where,
        f"its builder returned {type(logger).__name__}",
        "return a ganzoo.training.callbacks.Callback",
    )
    tiny = {"g_hidden": [8], "d_hidden": [8]}
    with tempfile.TemporaryDirectory() as tmp:
        train_briefly("gan", tiny, synthetic_data((2,)), 2, 8, Path(tmp) / "run", where, [logger])


def check_entry(name: str, **options: Any) -> None:
    """Run the check of ``name``'s kind (`check_architecture`, `check_loss`, ...).

    Args:
        name: Any registered entry; an extractor gets the metadata check only.
        **options: Its options (for an architecture: ``options=``, ``data=`` and the other
            keywords of `check_architecture`).
    """
    kind = entry_of(name).kind
    if kind == "architecture":
        check_architecture(name, **options)
    elif kind == "loss":
        check_loss(name, **options)
    elif kind == "diagnostic":
        check_diagnostic(name, **options)
    elif kind == "dataset":
        check_dataset(name, **options)
    elif kind == "metric":
        check_metric(name, **options)
    elif kind == "model":
        check_model(name)
    elif kind == "logger":
        check_logger(name, **options)
    else:
        check_spec(name)


def check_plugin(plugin: str, options: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Check a whole plugin: it loads, its module is torch-free, every entry passes its check.

    Args:
        plugin: The plugin's entry-point name (the key in ``[project.entry-points.ganzoo]``).
        options: Keyword arguments of each entry's check, by entry name, e.g.
            ``{"pacgan": {"options": {"width": 4}}, "my-data": {"size": 64}}``.

    Returns:
        The names of the entries checked.

    Raises:
        ContractError: Something is wrong; the message says what to fix.
    """
    names = check_plugin_loads(plugin)
    for name in names:
        check_entry(name, **options_for(name, options))
    return names
