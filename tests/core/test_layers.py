"""The package's import graph: no cycles, and nothing inside the package imports the façade.

The graph is grimp's (import-linter's own graph library), built from the source, so imports
inside functions and under ``TYPE_CHECKING`` count as much as those at the top of a module. The
layers themselves are checked by ``lint-imports`` (``[tool.importlinter]`` in pyproject.toml,
run by ``make lint``); these tests keep the two rules that matter most close to the code.
"""

from __future__ import annotations

import grimp
import pytest

ALLOWED_CYCLES: dict[frozenset[str], str] = {}
"""Cycles that must stay, each with the reason. Empty: ganzoo has none."""


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("ganzoo", cache_dir=None)


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe(graph: grimp.ImportGraph, component: list[str]) -> str:
    """The imports inside one cycle, ``importer:line -> imported``, for the failure message."""
    members = set(component)
    lines = []
    for importer in component:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            details = graph.get_import_details(importer=importer, imported=imported)
            where = ",".join(str(d["line_number"]) for d in details)
            lines.append(f"    {importer} (line {where}) -> {imported}")
    return "\n".join(lines)


def test_the_cycle_finder_finds_cycles() -> None:
    """The finder itself: a three-module circle and a two-module one, a tail that is in neither."""
    g = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.e", "p.f")]:
        g.add_import(importer=a, imported=b)
    g.add_import(importer="p.f", imported="p.e")
    assert sorted(strongly_connected(g)) == [["p.a", "p.b", "p.c"], ["p.e", "p.f"]]


def test_no_import_cycle_in_ganzoo(graph: grimp.ImportGraph) -> None:
    cycles = [c for c in strongly_connected(graph) if frozenset(c) not in ALLOWED_CYCLES]
    message = "\n".join(
        f"import cycle between {', '.join(c)}:\n{describe(graph, c)}" for c in cycles
    )
    assert not cycles, (
        f"{message}\nBreak it (an import that points up a layer usually belongs lower), or add it "
        "to ALLOWED_CYCLES with the reason it must be"
    )


def test_allowed_cycles_still_exist(graph: grimp.ImportGraph) -> None:
    present = {frozenset(c) for c in strongly_connected(graph)}
    stale = [sorted(c) for c in ALLOWED_CYCLES if c not in present]
    assert not stale, f"these allowed cycles are gone; remove them from ALLOWED_CYCLES: {stale}"


def test_nothing_inside_the_package_imports_the_facade(graph: grimp.ImportGraph) -> None:
    """``ganzoo.api`` is imported only by the package root's lazy attributes and by the CLI."""
    importers = graph.find_modules_that_directly_import("ganzoo.api")
    inside = sorted(m for m in importers if m != "ganzoo" and not m.startswith("ganzoo.cli"))
    assert not inside, f"{', '.join(inside)} import ganzoo.api; build or load one layer down"
