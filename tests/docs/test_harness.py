"""The docs harness catches what it is for: a broken example fails, an unmarked block fails, and
markers and size overrides mean what docs/contributing.md says."""

from __future__ import annotations

from pathlib import Path

import pytest
from forkserver import with_overrides
from md_blocks import Block, Directives, DocsFailure, MarkerError, parse_directives
from md_runner import Session
from md_shell import commands


def _page(session: Session, name: str, *texts: tuple[str, str], marker: str = "") -> list[Block]:
    path = Path(f"selftest/{name}.md")
    return [
        Block(path, 1 + 10 * i, lang, text, i, parse_directives(marker, "selftest"), Directives())
        for i, (lang, text) in enumerate(texts)
    ]


def test_directives_parse_and_bad_ones_are_named() -> None:
    d = parse_directives(
        "add train: --steps 2\nsub: a => b\nomit: pip install -- needs PyPI\nslow", "x.md:1"
    )
    assert d.add == {"train": ["--steps", "2"]} and d.subs == [("a", "b")] and d.slow
    assert d.omit == [("pip install", "needs PyPI")]
    for bad, needle in [
        ("skipp: typo", "unknown docs-test directive"),
        ("skip:", "needs a value"),
        ("add: --steps 2", "add COMMAND: ARGS"),
        ("omit: pip", "PREFIX -- REASON"),
        ("compare: exact", "compare is"),
    ]:
        with pytest.raises(MarkerError, match=needle):
            parse_directives(bad, "x.md:1")
    with pytest.raises(MarkerError, match="page marker takes only"):
        parse_directives("skip: no", "x.md:1", page=True)


def test_size_overrides_replace_the_commands_own_options() -> None:
    add = {"train": ["--steps", "2"], "train --resume": ["--steps", "4"], "evaluate": ["-n", "9"]}
    assert with_overrides(["train", "dcgan", "--epochs", "1", "-o", "r"], add) == [
        "train", "dcgan", "-o", "r", "--steps", "2"
    ]  # fmt: skip
    assert with_overrides(["train", "--resume", "r", "--steps", "5000"], add)[-2:] == [
        "--steps",
        "4",
    ]
    assert with_overrides(["evaluate", "m", "-n", "2000", "--json"], add) == [
        "evaluate", "m", "--json", "-n", "9"
    ]  # fmt: skip
    assert with_overrides(["sample", "m"], add) == ["sample", "m"]
    assert with_overrides(["train", "x"], {"train": ["--set", "a=1"]}) == [
        "train",
        "x",
        "--set",
        "a=1",
    ]


def test_commands_a_shell_block_runs() -> None:
    script = "A='x y' ganzoo list | grep z; pip install q && HF_HUB_OFFLINE=1 python -c 'a; b'\n"
    assert commands(script) == ["ganzoo", "grep", "pip", "python"]


def test_broken_examples_fail(docs_session: Session) -> None:
    blocks = _page(
        docs_session,
        "broken",
        ("python", "import ganzoo\nx = ganzoo.build('ring-8').x[:4]  # (5, 2)\n"),
        ("python", "ganzoo.build('hinge')  # ConfigError: it takes no options\n"),
        ("python", "print(1 + 1)  # 3\n"),
        ("text", "some output nobody produces\n"),
        ("console", "$ ganzoo info mnst\nerror: unknown name 'mnst'; did you mean 'mist'?\n"),
        ("bash", "ganzoo list losses\nmake docs\n"),
    )
    page = docs_session.page(blocks[0].path)
    needles = [
        r"shape \(4, 2\), the docs say \(5, 2\)",
        "the docs say ConfigError; nothing raised",
        "printed '2",
        "a text block with no docs-test marker",
        "the docs show the line",
        "runs 'make'",
    ]
    for block, needle in zip(blocks, needles, strict=True):
        with pytest.raises(DocsFailure, match=needle):
            page.run(block, blocks)


def test_a_shell_block_stops_at_its_first_failing_command(docs_session: Session) -> None:
    blocks = _page(docs_session, "stops", ("bash", "ganzoo info no-such-name\nganzoo list\n"))
    with pytest.raises(DocsFailure, match="unknown name 'no-such-name'"):
        docs_session.page(blocks[0].path).run(blocks[0], blocks)
