"""What a ``--data`` argument names: an existing path or a registered data set (torch-free).

The path is a folder of images or an array file. Torch-free, so the CLI can resolve it before
importing anything heavy.

A path that exists wins; a registered name is used only when no such path exists, and the
returned note says which was used when both could be meant, so a folder called ``mnist`` in the
working directory is never silently mistaken for the data set or the other way round.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganzoo.errors import DataError

ARRAY_SUFFIXES = (".npy", ".npz", ".safetensors")
"""File suffixes read as array files (data set ``array-file``)."""

IMAGE_FOLDER = "image-folder"
ARRAY_FILE = "array-file"


def looks_like_path(text: str) -> bool:
    """Whether ``text`` is written as a path (a separator, ``~``, ``.`` or a file suffix)."""
    return (
        "/" in text or "\\" in text or text.startswith(("~", ".")) or text.endswith(ARRAY_SUFFIXES)
    )


def resolve_data_argument(text: str, registered: bool) -> tuple[str, dict[str, Any], str | None]:
    """The data set name and options a ``--data`` argument stands for.

    Args:
        text: What the user wrote after ``--data`` (or passed as ``data=`` in Python).
        registered: Whether a data set of that name is registered.

    Returns:
        ``(name, options, note)``: ``("image-folder", {"path": ABS}, note)`` for an existing
        folder, ``("array-file", {"path": ABS}, note)`` for an existing array file, else
        ``(text, {}, None)``. ``note`` is a line saying which was used when ``text`` is also a
        registered name.

    Raises:
        DataError: ``text`` is written as a path but nothing exists there, or it is a file of
            a type ganzoo does not read.
    """
    path = Path(text).expanduser()
    if path.exists():
        path = path.resolve()
        if path.is_dir():
            name = IMAGE_FOLDER
        elif path.suffix in ARRAY_SUFFIXES:
            name = ARRAY_FILE
        else:
            raise DataError(
                f"--data {text}: {path} is a file but not an array file; give a folder of images "
                f"or a {', '.join(ARRAY_SUFFIXES)} file"
            )
        note = (
            f"--data {text}: using the {'folder' if name == IMAGE_FOLDER else 'file'} {path}, not "
            f"the registered data set {text!r} (give another path to use the folder, or run "
            "from another directory to use the data set)"
            if registered
            else None
        )
        return name, {"path": str(path)}, note
    if not registered and looks_like_path(text):
        raise DataError(
            f"--data {text}: no such folder or file ({path.resolve()}); give a folder of images, "
            f"a {', '.join(ARRAY_SUFFIXES)} file or a registered data set name (ganzoo list datasets)"
        )
    return text, {}, None
