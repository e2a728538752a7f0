"""ganzoo: a pluggable model zoo for generative adversarial networks.

The public API is lazy: ``import ganzoo`` imports neither torch nor any plugin.

```python
import ganzoo
ganzoo.list_entries("architecture", "*gan*")
model = ganzoo.load("dcgan-mnist")      # pretrained, ready to sample
grid = model.sample(64, seed=0)
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganzoo._version import __version__

__all__ = ["__version__", "build", "hookimpl", "info", "list_entries", "load"]

if TYPE_CHECKING:
    from ganzoo.api import build, info, list_entries, load
    from ganzoo.hookspecs import hookimpl


def __getattr__(name: str) -> Any:
    if name in {"build", "info", "list_entries", "load"}:
        from ganzoo import api

        return getattr(api, name)
    if name == "hookimpl":
        from ganzoo.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")
