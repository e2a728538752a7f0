"""Import the objects that specs name by import string."""

from __future__ import annotations

import importlib
from typing import Any

from ganzoo.errors import PluginError


def import_string(path: str, owner: str = "") -> Any:
    """Import ``'package.module:attr'``; a failure names the entry that asked for it."""
    module_name, _, attr = path.partition(":")
    where = f" (named by {owner})" if owner else ""
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as err:
        raise PluginError(f"cannot import {module_name!r}{where}: {err}") from err
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise PluginError(f"{module_name!r} has no attribute {attr!r}{where}") from None
    return obj
