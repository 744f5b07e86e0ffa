"""Remediators come from one registry, are named by rule data only, and import without cycles."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from amlguard.registry import Param, Registry
from amlguard.remediate import catalog
from amlguard.remediate.interface import Remediator
from amlguard.scanner.rules import load_pack
from tests.conftest import ROOT

REMEDIATE = ROOT / "amlguard" / "remediate"


def test_every_declared_remediator_loads_under_its_own_name() -> None:
    assert catalog.names()
    for entry in catalog.REMEDIATORS:
        remediator = catalog.get(entry.name)
        assert isinstance(remediator, Remediator)
        assert remediator.name == entry.name
        assert entry.doc and "\n" not in entry.doc


def test_every_rule_names_a_declared_remediator() -> None:
    named = {r.remediation.remediator for r in load_pack([]).rules} - {None}
    assert named and named <= set(catalog.names())


def test_a_remediator_reads_only_parameters_it_declares() -> None:
    """Each ``ctx.param(..., "NAME")`` a remediator calls is declared in its registry entry."""
    declared = {p.name for e in catalog.REMEDIATORS for p in e.parameters}
    source = "\n".join(p.read_text() for p in (REMEDIATE / "remediators").glob("*.py"))
    used = set(re.findall(r"ctx\.param\([^,]+,\s*\"([a-z_]+)\"\)", source))
    assert used and used <= declared


def test_no_remediation_code_knows_a_rule_id() -> None:
    for path in REMEDIATE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                for side in [node.left, *node.comparators]:
                    if isinstance(side, ast.Constant) and isinstance(side.value, str):
                        assert not re.fullmatch(r"AMLG-\d+", side.value), (path, side.value)


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_no_import_cycle_within_remediate() -> None:
    """Every import, even inside a function or under TYPE_CHECKING, counts."""
    modules = {
        "amlguard.remediate." + ".".join(p.relative_to(REMEDIATE).with_suffix("").parts): p
        for p in REMEDIATE.rglob("*.py")
    }
    modules = {k.removesuffix(".__init__"): v for k, v in modules.items()}
    graph = {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo += graph[m]
        return seen

    cycles = sorted(m for m in graph if m in reach(m))
    assert not cycles, cycles


def test_registry_lists_without_loading_and_refuses_duplicates() -> None:
    reg: Registry[object] = Registry("thing")
    reg.declare("one", "no.such.module:Thing", "a thing", (Param("p", "string", "a p"),))
    assert reg.names() == ["one"] and "ONE" in reg
    assert reg.describe() == ["one: a thing (parameters: p)"]
    with pytest.raises(ValueError, match="declared twice"):
        reg.declare("One", "x:y", "again")
    with pytest.raises(ModuleNotFoundError):
        reg.get("one")  # loading happens only when asked
    assert reg.get("two") is None
