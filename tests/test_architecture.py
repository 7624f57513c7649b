"""The layers of docs/architecture.md, checked on the code: what each package may import (imports
inside functions count), no package importing another that imports it back, faces that go
through the services only, and modules under 400 lines."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "clinsearch"
FOUNDATIONS = {"config", "files", "ids", "text", "units", "statedb"}
# What each unit (a sub-package, or a module at the top of clinsearch) may import besides itself;
# docs/architecture.md draws the same table.
ALLOWED = {
    "config": set(), "files": set(), "ids": set(), "text": set(), "units": set(), "statedb": {"config"},
    "warehouse": {"config"},
    "ingest": {"warehouse", "ids", "config", "files", "text", "units"},
    "terminology": {"warehouse", "config", "text"},
    "nlp": {"terminology", "warehouse", "ids", "config", "text"},
    "search": {"nlp", "terminology", "warehouse", "config", "files", "text"},
    "cohort": {"search", "nlp", "terminology", "warehouse", "config", "files", "ids", "text", "units", "statedb"},
    "scores": {"cohort", "search", "nlp", "terminology", "warehouse", "config", "text", "units"},
    "evaluate": {"scores", "cohort", "warehouse", "config", "files", "units"},
    "record": {"terminology", "warehouse", "config", "text", "units"},
    "model": {"evaluate", "scores", "cohort", "search", "nlp", "terminology", "warehouse", "config", "files", "text", "units"},
    "similar": {"terminology", "warehouse", "config", "text"},
    "demo": {"warehouse", "ids", "config", "text", "units"},
    "security": {"config", "statedb"},
    "services": {"security", "model", "similar", "evaluate", "record", "scores", "cohort", "search", "nlp", "terminology", "ingest", "demo", "warehouse", *FOUNDATIONS},
    "api": {"services", "config"},
    "web": {"services", "config"},
    "server": {"api", "web"},
    "cli": {"services", "server", "config", "files"},
    "<version>": set(),
}
FACES = {"api", "web", "cli"}


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<version>"


def modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        name = ".".join(("clinsearch", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")
        found[name] = path
    return found


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) of every import statement, nested ones included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names if alias.name.startswith("clinsearch")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("clinsearch"):
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def graph() -> dict[str, set[str]]:
    edges = defaultdict(set)
    for name, path in modules().items():
        for target, _ in imports(path):
            if unit_of(target) not in (unit_of(name), "<version>"):  # clinsearch.__version__: anyone
                edges[unit_of(name)].add(unit_of(target))
    return edges


def test_every_unit_of_the_package_has_its_place_in_the_table():
    assert {unit_of(name) for name in modules()} <= set(ALLOWED)


@pytest.mark.parametrize("unit", sorted(ALLOWED))
def test_a_unit_imports_only_the_layers_below_it(unit):
    assert graph().get(unit, set()) <= ALLOWED[unit], f"{unit} imports {sorted(graph()[unit] - ALLOWED[unit])}"


def test_no_package_imports_another_that_imports_it_back():
    edges = graph()
    cycles = []

    def walk(start: str, at: str, path: list[str], seen: set[str]) -> None:
        for nxt in edges.get(at, ()):
            if nxt == start:
                cycles.append(" -> ".join([*path, start]))
            elif nxt not in seen:
                seen.add(nxt)
                walk(start, nxt, [*path, nxt], seen)

    for unit in edges:
        walk(unit, unit, [unit], {unit})
    assert not cycles, cycles


def test_faces_never_import_private_names_of_another_package():
    offenders = []
    for name, path in modules().items():
        for target, names in imports(path):
            if unit_of(name) in FACES | {"services"} and unit_of(target) != unit_of(name):
                offenders += [f"{name}: {target}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert not offenders, offenders


def test_the_table_would_catch_a_face_reading_the_warehouse():
    # the check itself: a face importing a lower layer directly is outside its row of the table
    assert "warehouse" not in ALLOWED["api"] | ALLOWED["web"] | ALLOWED["cli"]
    assert unit_of("clinsearch.warehouse.store") == "warehouse" and unit_of("clinsearch.cli.main") == "cli"


@pytest.mark.parametrize("name", sorted(modules()))
def test_a_module_stays_under_400_lines(name):
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{name} has {lines} lines: it holds two ideas"
