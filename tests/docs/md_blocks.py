"""Every fenced block of README.md and docs/*.md, with the `docs-test` marker that says how to run it.

Blocks are found by markdown-it-py (the CommonMark parser behind pytest-markdown-docs and MyST,
already installed as a dependency of rich), so a fence inside a list item, a fence of any
language and a fence with no language are all found, with their line numbers.

A marker is an HTML comment right before the fence (invisible on GitHub and in the built docs):

    <!-- docs-test: skip: needs network (PyPI) -->

or one directive per line:

    <!-- docs-test:
    add train: --steps 2
    sub: --epochs 1 => --steps 2
    -->

Directives (docs/contributing.md, "Docs examples are tests", says how blocks run):

- `skip: REASON`: the block is not run; the reason is reported.
- `check: NAME`: the block is not run but compared with the code by the check NAME
  (tests/docs/checks.py; its docstring is the reason reported).
- `add CMD: ARGS`: appended to every `ganzoo CMD ...` the block runs (size overrides).
- `sub: OLD => NEW`: text replaced before the block runs (OLD must occur in it).
- `before: SHELL`: a shell command run in the page's scratch directory before the block.
- `omit: PREFIX -- REASON`: shell commands starting with PREFIX are not run (reported).
- `file: NAME`: the block's text is written to NAME in the scratch directory.
- `output-of: SHELL`: the block is the output of SHELL, which is run and compared.
- `compare: MODE`: how shown output is compared (`lines`, the default, or `alarms`).
- `slow`: the block belongs to the slow tier (still run in CI).

A page-wide marker, `<!-- docs-test-page: ... -->`, gives `add` and `before` directives to
every block of its page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parents[2]
PYTHON = {"python", "py", "python3", "pycon"}
SHELL = {"bash", "sh", "shell", "console", "shell-session"}
MARKER = re.compile(r"<!--\s*docs-test(-page)?:(.*?)-->", re.S)
KEYS = {"skip", "check", "add", "sub", "before", "omit", "file", "output-of", "compare", "slow"}


class DocsFailure(AssertionError):
    """A block did not do what the docs say."""


class MarkerError(ValueError):
    """A docs-test marker that cannot be read."""


@dataclass
class Directives:
    skip: str | None = None
    checks: list[str] = field(default_factory=list)
    add: dict[str, list[str]] = field(default_factory=dict)
    subs: list[tuple[str, str]] = field(default_factory=list)
    before: list[str] = field(default_factory=list)
    omit: list[tuple[str, str]] = field(default_factory=list)
    file: str | None = None
    output_of: str | None = None
    compare: str = "lines"
    slow: bool = False


@dataclass
class Block:
    path: Path  # relative to the repository root
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    index: int  # position among the page's blocks
    marker: Directives
    page: Directives

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def kind(self) -> str:
        if self.lang in PYTHON:
            return "python"
        if self.lang in SHELL or any(ln.startswith("$ ") for ln in self.text.splitlines()):
            return "shell"
        return "text"


def parse_directives(body: str, where: str, page: bool = False) -> Directives:
    """Read a marker's body: one directive per line, or one on the marker's only line."""
    d = Directives()
    for raw in body.strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        head, _, rest = line.partition(":")
        key, _, arg = head.strip().partition(" ")
        rest = rest.strip()
        if key not in KEYS:
            raise MarkerError(f"{where}: unknown docs-test directive {line!r}")
        if page and key not in {"add", "before"}:
            raise MarkerError(f"{where}: a page marker takes only add and before, not {key!r}")
        if key == "slow":
            d.slow = True
        elif not rest:
            raise MarkerError(f"{where}: directive {key!r} needs a value after ':'")
        elif key == "skip":
            d.skip = rest
        elif key == "check":
            d.checks.append(rest)
        elif key == "add":
            if not arg:
                raise MarkerError(
                    f"{where}: write 'add COMMAND: ARGS', e.g. 'add train: --steps 2'"
                )
            d.add.setdefault(arg, []).extend(rest.split())
        elif key == "sub":
            old, sep, new = rest.partition(" => ")
            if not sep:
                raise MarkerError(f"{where}: write 'sub: OLD => NEW'")
            d.subs.append((old, new))
        elif key == "before":
            d.before.append(rest)
        elif key == "omit":
            prefix, sep, reason = rest.partition(" -- ")
            if not sep or not reason.strip():
                raise MarkerError(f"{where}: write 'omit: PREFIX -- REASON'")
            d.omit.append((prefix.strip(), reason.strip()))
        elif key == "file":
            d.file = rest
        elif key == "output-of":
            d.output_of = rest
        elif key == "compare":
            if rest not in {"lines", "alarms"}:
                raise MarkerError(f"{where}: compare is 'lines' or 'alarms', not {rest!r}")
            d.compare = rest
    return d


def doc_files() -> list[Path]:
    return [Path("README.md"), *sorted(p.relative_to(REPO) for p in (REPO / "docs").glob("*.md"))]


def _page_blocks(path: Path) -> list[Block]:
    text = (REPO / path).read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(text)
    page = Directives()
    markers: dict[int, Directives] = {}  # token index of a block marker -> its directives
    for i, tok in enumerate(tokens):
        m = MARKER.search(tok.content) if tok.type == "html_block" and tok.map else None
        if m is None:
            continue
        where = f"{path}:{tok.map[0] + 1}"  # type: ignore[index]
        if m.group(1):
            p = parse_directives(m.group(2), where, page=True)
            page.before += p.before
            for cmd, args in p.add.items():
                page.add.setdefault(cmd, []).extend(args)
        elif i + 1 < len(tokens) and tokens[i + 1].type == "fence":
            markers[i + 1] = parse_directives(m.group(2), where)
        else:
            raise MarkerError(f"{where}: a docs-test marker must come right before a fence")
    blocks: list[Block] = []
    for i, tok in enumerate(tokens):
        if tok.type != "fence":
            continue
        assert tok.map is not None
        blocks.append(
            Block(
                path=path,
                line=tok.map[0] + 1,
                lang=(tok.info.split() or [""])[0].lower(),
                text=tok.content,
                index=len(blocks),
                marker=markers.get(i, Directives()),
                page=page,
            )
        )
    return blocks


@cache
def all_blocks() -> tuple[Block, ...]:
    """The fenced blocks of README.md and docs/*.md, in file order."""
    return tuple(b for path in doc_files() for b in _page_blocks(path))


def fence_lines(path: Path) -> int:
    """Lines that open or close a fence, counted without a Markdown parser (a cross-check)."""
    text = (REPO / path).read_text(encoding="utf-8")
    return sum(1 for ln in text.splitlines() if re.match(r"\s*(```|~~~)", ln))
