"""Shared fixtures. Tests never download: MNIST comes from $GANZOO_DATA (CI sets it to the
shared copy beside the checkout), the Hub from a loopback server."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _mnist_root() -> Path | None:
    env = os.environ.get("GANZOO_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")  # the layout CI and sessions use
    for c in candidates:
        if (c / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
            return c
    return None


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """Folder holding MNIST/raw; the test fails (not skips) when the data is missing."""
    root = _mnist_root()
    if root is None:
        pytest.fail("MNIST not found: set GANZOO_DATA to the folder that holds MNIST/raw")
    return root


@pytest.fixture(scope="session")
def _data_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data-cache")


@pytest.fixture(autouse=True)
def _data_env(monkeypatch: pytest.MonkeyPatch, _data_cache: Path) -> None:
    root = _mnist_root()
    if root is not None:
        monkeypatch.setenv("GANZOO_DATA", str(root))
    # decoded image folders go to a temporary cache, never the user's ~/.cache
    monkeypatch.setenv("GANZOO_CACHE", str(_data_cache))


@pytest.fixture
def fresh_registry():
    """Reload plugins for this test (after it changed the environment), and again afterwards."""
    from ganzoo.registry import get_registry, reset_registry

    reset_registry()
    yield get_registry
    reset_registry()


@pytest.fixture
def ctrl_c_handler() -> Iterator[None]:
    """Python's own SIGINT handler for the test, as in a foreground shell.

    A shell starts background jobs (``cmd &``, ``nohup``) with SIGINT ignored, and Python then
    keeps it ignored; tests that send themselves a Ctrl-C need the handler a user's terminal gives.
    """
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
