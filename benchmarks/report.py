"""Write a benchmark's table into its own marked section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

from ganzoo.hardware import cpu_name

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def machine() -> str:
    """One line describing this machine (CPU model, cores) for the tables."""
    return f"{cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def command(module: str, *flags: str) -> str:
    """The shell command that reproduces a table: ``OMP_NUM_THREADS`` when set, the module,
    then ``flags`` (empty ones are dropped)."""
    threads = os.environ.get("OMP_NUM_THREADS")
    prefix = f"OMP_NUM_THREADS={threads} " if threads else ""
    return " ".join([f"{prefix}python -m {module}", *(f for f in flags if f)])


def write_section(name: str, markdown: str, doc: Path = DOC) -> None:
    """Replace (or append) the section between ``<!-- bench:NAME -->`` markers in ``doc``."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    doc.write_text(text)


def publish(name: str, lines: list[str], write: bool = True) -> str:
    """Print a benchmark's markdown and, unless ``write`` is false, put it in its docs section."""
    table = "\n".join(lines)
    print(table)
    if write:
        write_section(name, table)
    return table
