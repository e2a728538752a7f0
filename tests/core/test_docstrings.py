"""The API reference (docs/api.md) renders the whole plugin contract, every piece with a docstring.

ruff's pydocstyle rules (``make lint``) catch a public function or method without a docstring
in the package and the example plugin. What they cannot see is what this file checks:

* every object docs/api.md renders, and every member of it, attributes and pydantic fields
  included, has a docstring (mkdocs.yml shows undocumented members too, so a gap is an empty
  entry on the page rather than a silently missing one);
* everything a plugin implements or registers with is rendered: every public class of
  ``ganzoo.interfaces`` and every hook of ``ganzoo.hookspecs``;
* no docstring uses a reST role (``:class:`` and the like), which the Google-style rendering
  shows as raw text.

The objects are read by griffe, the library mkdocstrings renders the page with, with the same
extension (griffe-pydantic) that mkdocs.yml loads.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import griffe
import pytest
import yaml

from ganzoo.hookspecs import HOOKS

ROOT = Path(__file__).resolve().parents[2]
API_PAGE = ROOT / "docs" / "api.md"
SOURCES = [ROOT / "ganzoo", ROOT / "plugins" / "ganzoo-pacgan" / "ganzoo_pacgan"]
REST_ROLE = re.compile(r":(?:class|meth|func|data|mod|attr|exc|obj):`")


@dataclass
class Block:
    """One ``::: identifier`` block of the page and its options."""

    identifier: str
    options: dict[str, object] = field(default_factory=dict)


def api_blocks(text: str) -> list[Block]:
    """The ``:::`` blocks of a page, with the YAML options indented under each."""
    blocks: list[Block] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("::: "):
            continue
        body = []
        for nxt in lines[i + 1 :]:
            if not nxt.startswith(" "):
                break
            body.append(nxt)
        config = yaml.safe_load(textwrap.dedent("\n".join(body))) if body else None
        blocks.append(Block(line[4:].strip(), (config or {}).get("options") or {}))
    return blocks


@pytest.fixture(scope="module")
def package() -> griffe.Module:
    return griffe.load(
        "ganzoo",
        search_paths=[ROOT],
        extensions=griffe.load_extensions("griffe_pydantic"),
        docstring_parser="google",
    )


@pytest.fixture(scope="module")
def blocks() -> list[Block]:
    return api_blocks(API_PAGE.read_text())


def _shown(name: str, filters: list[str]) -> bool:
    """Whether mkdocstrings' filters keep a member (default: hide ``_private``, keep dunders)."""
    keep = True
    for pattern in filters:
        negate = pattern.startswith("!")
        if re.search(pattern.removeprefix("!"), name):
            keep = not negate
    return keep


def rendered(package: griffe.Module, block: Block) -> list[griffe.Object]:
    """Every object a block renders: its root and, recursively, the members it shows."""
    root = package[block.identifier.removeprefix("ganzoo.")] if "." in block.identifier else package
    filters = list(block.options.get("filters", ["!^_[^_]"]))  # type: ignore[call-overload]
    inherited = bool(block.options.get("inherited_members", False))
    out: list[griffe.Object] = [root]

    def walk(obj: griffe.Object, names: list[str] | None) -> None:
        members = obj.all_members if inherited and obj.is_class else obj.members
        for name, member in members.items():
            if names is not None and name not in names:
                continue
            if names is None and not _shown(name, filters):
                continue
            listed = names is not None  # an explicitly listed re-export is rendered too
            if name == "__init__" or (
                member.is_alias and not ((inherited and obj.is_class) or listed)
            ):
                continue  # __init__ is merged into its class; imported names are not shown
            target = member.final_target if member.is_alias else member
            out.append(target)
            if target.is_class:
                walk(target, None)

    walk(root, block.options.get("members"))  # type: ignore[arg-type]
    return out


def test_the_page_renders_every_interface_and_every_hook(package, blocks) -> None:
    shown = {obj.path for block in blocks for obj in rendered(package, block)}
    classes = [
        c.final_target if c.is_alias else c
        for name, c in package["interfaces"].members.items()
        if not name.startswith("_")
    ]  # ganzoo.interfaces re-exports the classes of its modules
    interfaces = [c.path for c in classes if c.is_class]
    hooks = [f"ganzoo.hookspecs.{name}" for name in HOOKS.values()]
    assert "ganzoo.interfaces.metrics.Metric" in interfaces
    missing = sorted(set(interfaces + hooks) - shown)
    assert not missing, f"docs/api.md does not render {missing}: add them to its members"


def test_everything_the_page_renders_has_a_docstring(package, blocks) -> None:
    undocumented = sorted(
        {
            obj.path
            for block in blocks
            for obj in rendered(package, block)
            if not (obj.docstring and obj.docstring.value.strip())
        }
    )
    assert len({obj.path for b in blocks for obj in rendered(package, b)}) > 100
    assert not undocumented, "no docstring (write one; see docs/contributing.md):\n" + "\n".join(
        undocumented
    )


def test_interface_methods_say_what_an_implementation_does(package) -> None:
    """Each method a plugin implements documents its arguments and its result."""
    methods = {
        "Generator": ["forward", "sample_latent"],
        "Discriminator": ["forward_all", "auxiliary_loss"],
        "GANLoss": ["discriminator_loss", "generator_loss", "penalty"],
        "Diagnostic": ["on_step", "on_samples"],
        "Metric": ["compute"],
        "FeatureExtractor": ["extract"],
    }
    gaps = []
    for cls, names in methods.items():
        for name in names:
            func = package[f"interfaces.{cls}.{name}"]
            kinds = {s.kind.value for s in func.docstring.parse("google")}
            if not {"parameters", "returns"} <= kinds:
                gaps.append(f"{cls}.{name}: sections {sorted(kinds)}")
    assert not gaps, "interface methods without Args/Returns:\n" + "\n".join(gaps)


def test_no_docstring_uses_rest_roles() -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for source in SOURCES
        for path in sorted(source.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if REST_ROLE.search(line)
    ]
    assert not hits, "reST roles render as raw text; use `name` or [name][ganzoo.path]:\n" + (
        "\n".join(hits)
    )


def test_the_block_reader_sees_options() -> None:
    page = "# T\n\n::: a.b\n    options:\n      members: [x, y]\n\n::: c\n\ntext\n"
    assert api_blocks(page) == [Block("a.b", {"members": ["x", "y"]}), Block("c", {})]
