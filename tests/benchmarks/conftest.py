"""The benchmarks make their scratch folders with ``tempfile`` (``ganzoo-bench-*``,
``ganzoo-harness-*``, ``ganzoo-mem-*``); under test they go in the test's own ``tmp_path``,
which pytest cleans, instead of piling up in the machine's temp folder run after run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _scratch_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
