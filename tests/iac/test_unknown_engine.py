"""Conditions on rows holding values unknown before deployment: error unless decided."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner.conditions import compile_condition
from amlguard.scanner.context import EvalContext
from amlguard.scanner.unknown import Unknown, UnknownValue

ROW = {
    "properties": {
        "publicNetworkAccess": Unknown("parameters('pna')", where="main.json:12"),
        "known": "Disabled",
        "managedNetwork": Unknown("reference(x).managedNetwork"),
        "list": [{"v": "a"}, {"v": Unknown("k")}],
    }
}


def judge(condition: dict[str, Any]) -> bool:
    ctx = EvalContext(resource=ROW, inventory=None, instance=None, params={}, private_link=None)  # type: ignore[arg-type]
    return compile_condition(condition)(ctx, None)


UNKNOWN_PNA = {"field": "properties.publicNetworkAccess", "equals": "Disabled"}
FALSE = {"field": "properties.known", "equals": "Enabled"}
TRUE = {"field": "properties.known", "equals": "Disabled"}


@pytest.mark.parametrize(
    "condition",
    [
        UNKNOWN_PNA,
        {"field": "properties.publicNetworkAccess", "notEquals": "Enabled"},
        {"not": UNKNOWN_PNA},
        {"allOf": [TRUE, UNKNOWN_PNA]},
        {"anyOf": [FALSE, UNKNOWN_PNA]},
        {"field": "properties.managedNetwork.isolationMode", "equals": "AllowOnlyApprovedOutbound"},
        {"field": "properties.list[*].v", "equals": "a"},
    ],
)
def test_undecided_conditions_raise_with_the_expression(condition: dict[str, Any]) -> None:
    with pytest.raises(UnknownValue) as info:
        judge(condition)
    assert str(info.value).startswith("unknown before deployment: ")


def test_reason_names_the_source() -> None:
    with pytest.raises(UnknownValue, match=r"parameters\('pna'\) \(main.json:12\)"):
        judge(UNKNOWN_PNA)


def test_kleene_logic_decides_when_it_can() -> None:
    assert judge({"allOf": [UNKNOWN_PNA, FALSE]}) is False
    assert judge({"anyOf": [UNKNOWN_PNA, TRUE]}) is True
    assert judge({"field": "properties.publicNetworkAccess", "exists": True}) is True


def test_the_same_unknown_equals_itself() -> None:
    assert Unknown("a:properties.principalId") == Unknown("a:properties.principalId")
    assert Unknown("a") != Unknown("b")
