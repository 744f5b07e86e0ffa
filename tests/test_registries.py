"""Formats, primitives, expression functions, target selectors and remediators share one
registry type, each entry declaring its name, parameters and a one-line doc (issue 10)."""

from __future__ import annotations

import pytest

from amlguard.registry import Registry
from amlguard.remediate.catalog import REMEDIATORS
from amlguard.reports.interface import Report
from amlguard.reports.registry import FORMATS
from amlguard.scanner import primitives, targets  # noqa: F401  (registers the primitives)
from amlguard.scanner.conditions import RELATED
from amlguard.scanner.expressions import FUNCTIONS

ALL = [FORMATS, RELATED, FUNCTIONS, targets.SELECTORS, REMEDIATORS]


@pytest.mark.parametrize("registry", ALL, ids=lambda r: r.kind)
def test_every_registry_is_the_one_type_and_lists_its_entries(registry: Registry) -> None:
    assert isinstance(registry, Registry)
    names = registry.names()
    assert names and len({n.lower() for n in names}) == len(names)
    for entry in registry:
        assert ":" in entry.target and entry.describe().startswith(entry.name)


def test_formats_load_on_demand_and_build_reports() -> None:
    assert FORMATS.names() == ["console", "html", "json", "junit", "markdown", "sarif"]
    for name in FORMATS.names():
        cls = FORMATS.get(name)
        assert cls is not None and issubclass(cls, Report) and cls.name == name


def test_a_name_is_declared_once() -> None:
    reg: Registry[int] = Registry("thing")
    reg.register("a", 1)
    with pytest.raises(ValueError):
        reg.register("A", 2)
    assert reg.get_loaded("a") == 1 and reg.get_loaded("b") is None


def test_decorated_primitives_declare_their_parameters() -> None:
    entry = RELATED.entry("roleAssignments")
    assert entry is not None
    assert [p.name for p in entry.parameters] == ["principal", "scope", "role"]
