"""ganzoo: a pluggable model zoo for generative adversarial networks.

The public API is lazy: ``import ganzoo`` imports neither torch nor any plugin.

```python
import ganzoo
ganzoo.list_entries("architecture", "*gan*")
model = ganzoo.load("dcgan-mnist")      # pretrained, ready to sample
grid = model.sample(64, seed=0)
ring = ganzoo.train("gan", data="ring-8", steps=200)   # one call over the Trainer
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganzoo._version import __version__

__all__ = [
    "EntryInfo",
    "__version__",
    "build",
    "hookimpl",
    "info",
    "list_entries",
    "load",
    "train",
]

_API = {"EntryInfo", "build", "info", "list_entries", "load", "train"}

if TYPE_CHECKING:
    from ganzoo.api import EntryInfo, build, info, list_entries, load, train
    from ganzoo.hookspecs import hookimpl


def __dir__() -> list[str]:
    """The public API (``dir(ganzoo)``); subpackages such as ``ganzoo.testing`` are imported."""
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    if name in _API:
        from ganzoo import api

        return getattr(api, name)
    if name == "hookimpl":
        from ganzoo.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")
