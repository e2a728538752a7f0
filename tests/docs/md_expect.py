"""What a Python block or a run shows, checked against what happened: comments that name an
exception, a shape, a dict's keys or printed text; the specs a block's hooks register; the alarms
of a shortened training run."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Any

from md_blocks import Block, DocsFailure


def comment_of(line: str) -> str:
    """The `# comment` of a line of Python (a '#' inside a string does not count)."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line + "\n").readline):
            if tok.type == tokenize.COMMENT:
                return tok.string
    except (tokenize.TokenError, SyntaxError):
        return ""
    return ""


def is_print(stmt: ast.stmt) -> bool:
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    return isinstance(call, ast.Call) and getattr(call.func, "id", "") == "print"


def check_shape_comment(stmt: ast.stmt, comment: str, ns: dict[str, Any], where: str) -> None:
    """`x = ...  # (16, 3, 28, 28) in [-1, 1]`: x has that shape (and range)."""
    m = re.match(r"#\s*\(([\d,\s]+)\)(?:\s+in\s+\[(-?[\d.]+),\s*(-?[\d.]+)\])?", comment)
    if not m or not isinstance(stmt, ast.Assign) or not isinstance(stmt.targets[0], ast.Name):
        return
    value = ns[stmt.targets[0].id]
    shape = tuple(int(s) for s in m.group(1).replace(" ", "").split(",") if s)
    if tuple(value.shape) != shape:
        raise DocsFailure(f"{where}: shape {tuple(value.shape)}, the docs say {shape}")
    if m.group(2) is not None:
        lo, hi = float(m.group(2)), float(m.group(3))
        if value.min() < lo or value.max() > hi:
            raise DocsFailure(f"{where}: values outside [{lo}, {hi}]")


def check_keys_comment(stmt: ast.stmt, comment: str, ns: dict[str, Any], where: str) -> None:
    """`result.metrics  # {"fid": ..., "kl": ...}`: a dict with those keys (and values, where
    the comment gives one); `...` stands for any value."""
    text = comment.lstrip("# ")
    if not text.startswith("{") or not isinstance(stmt, ast.Assign):
        return
    try:
        shown = ast.literal_eval(text[: text.rindex("}") + 1])
    except (ValueError, SyntaxError):
        return
    target = stmt.targets[0]
    if not isinstance(shown, dict) or not isinstance(target, ast.Name):
        return
    value = ns[target.id]
    if not isinstance(value, dict):
        raise DocsFailure(f"{where}: a {type(value).__name__}, the docs show a dict")
    for key, want in shown.items():
        if key not in value:
            raise DocsFailure(f"{where}: no key {key!r} (it has {sorted(value)})")
        if want is not Ellipsis and value[key] != want:
            raise DocsFailure(f"{where}: {key} is {value[key]!r}, the docs say {want!r}")


FREE_TEXT = {"summary", "description", "paper", "tags"}


def call_hooks(block: Block, ns: dict[str, Any]) -> None:
    """Call each `@hookimpl` the block defines with a recording `register`: the specs it shows
    are built (so validated); a spec whose name is installed (the example plugin's) must set
    its fields, free text aside, to what the installed one has."""
    from ganzoo.registry import get_registry

    for name, fn in list(ns.items()):
        code = getattr(fn, "__code__", None)
        if (
            not hasattr(fn, "ganzoo_impl")
            or code is None
            or not code.co_filename.startswith(block.id)
        ):
            continue
        specs: list[Any] = []
        try:
            fn(register=specs.append)
        except Exception as err:
            raise DocsFailure(f"{block.id}: the hook {name} fails when called: {err}") from err
        if not specs:
            raise DocsFailure(f"{block.id}: the hook {name} registers nothing")
        registry = get_registry()
        for spec in specs:
            try:
                installed = registry.get(spec.name).spec
            except Exception:
                continue  # a name of the reader's own
            for key in sorted(spec.model_fields_set - FREE_TEXT):
                if getattr(spec, key) != getattr(installed, key):
                    raise DocsFailure(
                        f"{block.id}: {spec.name}.{key} is {getattr(spec, key)!r} here and "
                        f"{getattr(installed, key)!r} in the installed plugin"
                    )


def compare_alarms(block: Block, shown: list[str], out: str, tolerance: int = 100) -> None:
    """A shortened run: each alarm the docs show up to the run's last step is raised again (the
    same kind, the step within 100). The shorter run's end-of-run checks may add alarms."""
    pattern = re.compile(r"alarm step (\d+): ([\w-]+):")
    docs = [(int(m.group(1)), m.group(2)) for ln in shown if (m := pattern.search(ln))]
    got = [(int(m.group(1)), m.group(2)) for ln in out.splitlines() if (m := pattern.search(ln))]
    end = re.search(r"finished: (\d+) steps", out)
    if not end:
        raise DocsFailure(f"{block.id}: the run did not finish:\n{out}")
    covered = [(s, k) for s, k in docs if s <= int(end.group(1))]
    if not covered:
        raise DocsFailure(f"{block.id}: the run ({end.group(1)} steps) covers none of {docs}")
    for step, kind in covered:
        if not any(k == kind and abs(s - step) <= tolerance for s, k in got):
            raise DocsFailure(f"{block.id}: no {kind} alarm near step {step}; the run raised {got}")
