"""Checks for blocks that are not run: each compares what a block shows with the code.

A block names one with `<!-- docs-test: check: NAME -->`; the check's docstring (first line) is
the reason reported for the block, and the check fails when the block and the code disagree.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Callable
from typing import Any

from md_blocks import REPO, Block, DocsFailure
from md_runner import Page

Check = Callable[[Block, str, Page], None]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return register


def run_check(name: str, block: Block, text: str, page: Page) -> str:
    if name not in CHECKS:
        raise DocsFailure(
            f"{block.id}: no check named {name!r} (known: {', '.join(sorted(CHECKS))})"
        )
    CHECKS[name](block, text, page)
    return (CHECKS[name].__doc__ or name).strip().splitlines()[0]


def _subset(shown: Any, real: Any, where: str) -> None:
    if isinstance(shown, dict) and isinstance(real, dict):
        for k, v in shown.items():
            if k not in real:
                raise DocsFailure(f"{where}: {k!r} is not in the example plugin's pyproject.toml")
            _subset(v, real[k], f"{where}.{k}")
    elif shown != real:
        raise DocsFailure(f"{where}: {shown!r} here, {real!r} in the example plugin")


@check("pyproject-subset")
def pyproject_subset(block: Block, text: str, page: Page) -> None:
    """A pyproject.toml excerpt: every key it shows is in plugins/ganzoo-pacgan/pyproject.toml."""
    real = tomllib.loads((REPO / "plugins/ganzoo-pacgan/pyproject.toml").read_text())
    _subset(tomllib.loads(text), real, block.id)


@check("synopsis")
def synopsis(block: Block, text: str, page: Page) -> None:
    """A usage synopsis: every option it shows is in the command's --help."""
    for line in re.split(r"\n(?=ganzoo )", text):
        words = line.split()
        command = words[1]
        r = page.shell(f"ganzoo {command} --help", block, 60)
        if r.returncode:
            raise DocsFailure(f"{block.id}: ganzoo {command} --help failed:\n{r.stderr}")
        for opt in re.findall(r"(?<![\w-])(--[a-z][\w-]*|-[a-z])\b", line):
            if not re.search(rf"(?<![\w-]){re.escape(opt)}\b", r.stdout):
                raise DocsFailure(f"{block.id}: ganzoo {command} has no option {opt}")


@check("run-dir")
def run_dir(block: Block, text: str, page: Page) -> None:
    """A run directory's layout: each entry shown exists in the page's runs/dcgan."""
    root = page.dir / text.splitlines()[0].strip().rstrip("/")
    for line in text.splitlines()[1:]:
        entry = line.split()[0]
        pattern = re.sub(r"\d{7}", "*", entry.rstrip("/"))
        if not list(root.glob(pattern)):
            raise DocsFailure(f"{block.id}: {root.name}/ has no {entry} (looked for {pattern})")


@check("layers")
def layers(block: Block, text: str, page: Page) -> None:
    """The layers diagram: the same layers, in order, as the import-linter contract."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers")
    shown = []
    for line in text.splitlines():
        m = re.match(r"\s?(\S.*?)(?:\s{2,}|$)", line)
        if m and line[:1] == " " and line[1:2] != " ":
            shown.append(" | ".join(p.strip() for p in m.group(1).split("|")))
    if shown != contract["layers"]:
        raise DocsFailure(
            f"{block.id}: the diagram shows {shown}, the contract {contract['layers']}"
        )


@check("paths")
def paths(block: Block, text: str, page: Page) -> None:
    """A diagram of the code: every module file it names exists."""
    names = set(re.findall(r"\b((?:ganzoo/)?[\w/]+\.py)\b", text))
    for name in names:
        candidates = [REPO / name, REPO / "ganzoo" / name, *(REPO / "ganzoo").glob(f"*/{name}")]
        if not any(c.is_file() for c in candidates):
            raise DocsFailure(f"{block.id}: no module {name}")
    if not names:
        raise DocsFailure(f"{block.id}: names no module file; give it another check or a reason")


@check("classifier-layers")
def classifier_layers(block: Block, text: str, page: Page) -> None:
    """The classifier's layers: the same convolutions and linear layers as MNISTClassifier."""
    from torch import nn

    from ganzoo.metrics.classifier import MNISTClassifier

    model = MNISTClassifier()
    convs = [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]
    shown_convs = [int(c) for c in re.findall(r"conv3x3 (\d+)", text)]
    flat = re.search(r"flatten (\d+) - FC (\d+)", text)
    head = re.search(r"FC (\d+)\s+= logits", text)
    assert flat and head, f"{block.id}: no 'flatten N - FC M' / 'FC K = logits' lines"
    shown_linears = [
        (int(flat.group(1)), int(flat.group(2))),
        (int(flat.group(2)), int(head.group(1))),
    ]
    if shown_convs != convs or shown_linears != linears:
        raise DocsFailure(
            f"{block.id}: shows convs {shown_convs}, linears {shown_linears}; "
            f"MNISTClassifier has {convs}, {linears}"
        )
    n = sum(p.numel() for p in model.parameters())
    doc = (REPO / block.path).read_text()
    if f"{n:,} parameters" not in doc:
        raise DocsFailure(
            f"{block.id}: MNISTClassifier has {n:,} parameters; the page says otherwise"
        )


@check("config-json")
def config_json(block: Block, text: str, page: Page) -> None:
    """A model folder's config.json: what save_pretrained writes for the model the page builds."""
    import torch

    import ganzoo
    from ganzoo import hub

    shown = json.loads(text)
    torch.manual_seed(0)
    model = ganzoo.build(shown["architecture"], data=shown["dataset"])
    folder = hub.save_pretrained(
        model,
        page.dir / "config-json-check",
        metrics=shown["metrics"],
        reproduce=shown["reproduce"],
    )
    written = json.loads((folder / "config.json").read_text())
    if written != shown:
        diff = {k: (shown.get(k), written.get(k)) for k in shown.keys() | written.keys()
                if shown.get(k) != written.get(k)}  # fmt: skip
        raise DocsFailure(f"{block.id}: differs from what save_pretrained writes: {diff}")


def _tool_options(path: str) -> set[str]:
    tree = ast.parse((REPO / path).read_text())
    opts: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            opts |= {a.value for a in node.args if isinstance(a, ast.Constant)}
    return opts


@check("tool-options")
def tool_options(block: Block, text: str, page: Page) -> None:
    """A maintainer script's command (not run here): the script exists and takes every option shown."""
    found = False
    for line in text.replace("\\\n", " ").splitlines():
        m = re.search(r"\b(tools/\w+\.py)\b(.*)", line.split("#")[0])
        if not m:
            continue
        found = True
        if not (REPO / m.group(1)).is_file():
            raise DocsFailure(f"{block.id}: no script {m.group(1)}")
        known = _tool_options(m.group(1))
        for opt in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", m.group(2)):
            if opt not in known:
                raise DocsFailure(
                    f"{block.id}: {m.group(1)} takes no {opt} (it takes {sorted(known)})"
                )
    if not found:
        raise DocsFailure(f"{block.id}: names no tools/ script")
