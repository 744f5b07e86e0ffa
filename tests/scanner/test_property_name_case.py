"""ARM property names are case-insensitive: an estate whose property names are spelled in any
casing gives the same findings as the estate as exported (no endpoint, link, NIC or role
assignment lost to an exact-key read)."""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.inventory import Inventory
from tests.builders import blueprint, customer_vnet
from tests.scanner.harness import scan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "estates"
ESTATES = [
    "compliant.json",
    "drifted.json",
    "landing-zone-drifted.json",
    "foundry-hub-drifted.json",
]
#: maps whose keys are data (rule names, identity ids, tag names), not property names
DATA_MAPS = {"outboundrules", "userassignedidentities", "tags", "metadata"}


def recase(value: Any, spell: Any, parent: str = "") -> Any:
    """``value`` with every property name respelled by ``spell`` (data-map keys kept)."""
    if isinstance(value, dict):
        keep = parent.lower() in DATA_MAPS
        return {(k if keep else spell(k)): recase(v, spell, k) for k, v in value.items()}
    if isinstance(value, list):
        return [recase(v, spell, parent) for v in value]
    return value


def recased_rows(rows: list[dict[str, Any]], spell: Any) -> list[dict[str, Any]]:
    """The rows with the property names under ``properties`` respelled."""
    return [
        {**r, "properties": recase(r["properties"], spell)}
        if isinstance(r.get("properties"), dict)
        else r
        for r in rows
    ]


def random_spelling(seed: int) -> Any:
    rnd = random.Random(seed)
    return lambda key: "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in key)


def verdicts(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return sorted((f.rule_id, f.resource_id.lower(), f.status.value, f.message) for f in scan(rows))


@cache
def _estate(name: str) -> tuple[list[dict[str, Any]], tuple[tuple[str, str, str, str], ...]]:
    rows = json.loads((EXAMPLES / name).read_text())["data"]
    return rows, tuple(verdicts(rows))


@pytest.mark.parametrize("name", ESTATES)
@pytest.mark.parametrize("spell", [str.lower, str.upper], ids=["lower", "upper"])
def test_estate_in_other_property_casing_gives_the_same_findings(name: str, spell: Any) -> None:
    rows, expected = _estate(name)
    assert verdicts(recased_rows(rows, spell)) == list(expected)


@settings(derandomize=True, max_examples=6, deadline=None)
@given(st.sampled_from(ESTATES), st.integers(min_value=0, max_value=2**32))
def test_random_property_casing_gives_the_same_findings(name: str, seed: int) -> None:
    rows, expected = _estate(name)
    assert verdicts(recased_rows(rows, random_spelling(seed))) == list(expected)


@settings(derandomize=True, max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_builder_blueprint_in_random_property_casing_all_pass(seed: int) -> None:
    rows = blueprint().rows()
    expected = verdicts(rows)
    assert {v[2] for v in expected} <= {"pass", "skipped"}
    assert verdicts(recased_rows(rows, random_spelling(seed))) == expected


def test_inventory_indexes_endpoints_written_in_any_casing() -> None:
    """The red team's case: ``PrivateLinkServiceConnections`` (a template may write it)."""
    inst = blueprint()
    pe = inst.endpoints["workspace"]
    props = pe["properties"]
    props["PrivateLinkServiceConnections"] = props.pop("privateLinkServiceConnections")
    props["Subnet"] = props.pop("subnet")
    inv = Inventory(inst.rows())
    assert [p["id"] for p, _ in inv.endpoints_by_target[inst.workspace["id"].lower()]] == [pe["id"]]
    (ra,) = inst.role_assignments[:1]
    ra["properties"] = {k.upper(): v for k, v in ra["properties"].items()}
    inv = Inventory(inst.rows())
    principal = str(ra["properties"]["PRINCIPALID"]).lower()
    assert ra in inv.assignments_by_principal[principal]


@settings(derandomize=True, max_examples=5, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_customer_vnet_computes_in_random_property_casing(seed: int) -> None:
    """The computes selector reads ``computeType`` in any casing: a compute spelled
    ``ComputeType`` with a public IP is still judged (AMLG-112 fails), never dropped."""
    inst = customer_vnet(blueprint())
    inst.extra[-1]["properties"]["properties"]["enableNodePublicIp"] = True
    rows = inst.rows()
    expected = sorted(
        (f.rule_id, f.resource_id.lower(), f.status.value, f.message)
        for f in scan(rows, network_isolation="custom")
    )
    assert ("AMLG-112", "fail") in {(v[0], v[2]) for v in expected}
    got = sorted(
        (f.rule_id, f.resource_id.lower(), f.status.value, f.message)
        for f in scan(recased_rows(rows, random_spelling(seed)), network_isolation="custom")
    )
    assert got == expected
