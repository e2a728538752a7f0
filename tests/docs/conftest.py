"""Fixtures of the docs tests: the pre-warmed ganzoo server, the loopback Hub, and the summary line.

tests/docs/ is put on sys.path here, so the test module imports md_blocks, md_runner, md_checks
and forkserver by name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from forkserver import write_shim
from md_blocks import all_blocks
from md_runner import RESULTS, Session

HUB_TOKEN = "hf_DocsTestToken0123456789abcdef"
REPO = Path(__file__).resolve().parents[2]


def _data_root() -> Path | None:
    """The folder holding MNIST/raw: $GANZOO_DATA, else ../shared/data (as tests/conftest.py)."""
    env = os.environ.get("GANZOO_DATA")
    for c in [*([Path(env)] if env else []), REPO.parent / "shared" / "data"]:
        if (c / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
            return c
    return None


@pytest.fixture(scope="session")
def docs_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    from support.hub_server import start_hub

    root = _data_root()
    if root is None:
        pytest.fail("MNIST not found: set GANZOO_DATA to the folder that holds MNIST/raw")
    sock_dir = Path(tempfile.mkdtemp(prefix="gz-docs-"))  # a short path: AF_UNIX allows ~100 bytes
    sock = str(sock_dir / "ganzoo.sock")
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("forkserver.py")), sock],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    hub = start_hub(token=HUB_TOKEN, user="alice")
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        bin_dir = write_shim(sock_dir / "bin", sock).parent
        yield Session(
            bin_dir=bin_dir,
            socket=sock,
            hub_url=hub.url,
            hub_token=HUB_TOKEN,
            data_root=root,
            scratch=tmp_path_factory.mktemp("docs"),
        )
    finally:
        hub.stop()
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(sock_dir, ignore_errors=True)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "tests/docs/test_docs.py::test_block[" in report.nodeid and report.failed:
        RESULTS[report.nodeid.split("[", 1)[1].rstrip("]")] = "failed"


def pytest_terminal_summary(terminalreporter) -> None:
    if not RESULTS:
        return
    blocks = all_blocks()
    counts = {"ran": 0, "checked": 0, "skipped": 0, "failed": 0}
    for result in RESULTS.values():
        counts["failed" if result == "failed" else result.status] += 1  # type: ignore[union-attr]
    files = len({b.path for b in blocks})
    reason = counts["checked"] + counts["skipped"]
    terminalreporter.write_sep("-", "docs examples")
    terminalreporter.write_line(
        f"{len(blocks)} fenced blocks in {files} files (README.md, docs/*.md); this run: "
        f"{counts['ran']} ran, {reason} carry a reason ({counts['checked']} checked against the "
        f"code, {counts['skipped']} not run), {counts['failed']} failed, "
        f"{len(blocks) - len(RESULTS)} not selected"
    )
    for block_id, result in RESULTS.items():
        if (
            not isinstance(result, str)
            and result.status == "ran"
            and result.note.startswith("omitted")
        ):
            terminalreporter.write_line(f"  {block_id} ran; {result.note}")
