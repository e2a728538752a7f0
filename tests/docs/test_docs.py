"""Every fenced block of README.md and docs/*.md runs, or carries a reason (tests/docs/README.md).

One test per block, in page order; a page's blocks share a scratch directory, a HOME and a
Python namespace, as a reader following the page would. A skipped block's reason shows in
`pytest -ra`; the line "docs examples" at the end of the run counts them.
"""

from __future__ import annotations

import pytest
from md_blocks import Block, all_blocks, doc_files, fence_lines
from md_runner import RESULTS, Session

BLOCKS = all_blocks()


def _param(block: Block):
    marks = [pytest.mark.slow] if block.marker.slow else []
    return pytest.param(block, id=block.id, marks=marks)


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS])
def test_block(block: Block, docs_session: Session) -> None:
    page = docs_session.page(block.path)
    outcome = page.run(block, [b for b in BLOCKS if b.path == block.path])
    RESULTS[block.id] = outcome
    if outcome.status == "skipped":
        pytest.skip(f"{block.id} ({block.lang or 'plain'}): {outcome.note}")


@pytest.mark.parametrize("path", doc_files(), ids=str)
def test_every_fence_is_collected(path) -> None:
    """The parser finds as many blocks as there are fence lines (opening + closing) in the file."""
    found = sum(1 for b in BLOCKS if b.path == path)
    assert 2 * found == fence_lines(path), (
        f"{path}: {found} blocks, {fence_lines(path)} fence lines"
    )
