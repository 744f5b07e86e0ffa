"""A leaf compared with literal booleans or enum strings reads only that JSON type: a value of
another type is ``error`` naming the resource and path, never the harmless reading
(redteam9 #14: ``isHnsEnabled: [true]`` passed AMLG-204, ``adminUserEnabled: [true]`` AMLG-224,
an FQDN rule with ``destination: ""`` AMLG-110)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.conditions import compile_condition
from amlguard.scanner.context import EvalContext
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.leaftypes import guard
from amlguard.scanner.paths import MISSING
from amlguard.scanner.privatelink import default_table
from amlguard.scanner.shapes import MalformedValue

ROOT = Path(__file__).resolve().parents[2]
COMPLIANT = ROOT / "examples" / "estates" / "compliant.json"
_DOC = json.loads(COMPLIANT.read_text(encoding="utf-8"))
RID = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/st"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


def _judge(condition: dict[str, Any], props: dict[str, Any]) -> bool:
    ctx = EvalContext(
        resource={"id": RID, "type": "t", "properties": props},
        inventory=Inventory([]),
        instance=None,
        params={},
        private_link=default_table(),
    )
    fast = compile_condition(condition)(ctx, None)
    assert compile_condition(condition)(ctx, []) is fast  # the explaining path agrees
    return fast


@settings(derandomize=True, max_examples=300, deadline=None)
@given(json_values)
def test_a_boolean_leaf_reads_only_booleans(value: Any) -> None:
    cond = {"field": "properties.flag", "notEquals": True}
    readable = (
        value is None
        or type(value) is bool
        or (isinstance(value, str) and value.lower() in ("true", "false"))
    )
    if readable:
        assert _judge(cond, {"flag": value}) is (str(value).lower() != "true")
    else:
        with pytest.raises(MalformedValue, match=r"properties\.flag of .*storageAccounts/st"):
            _judge(cond, {"flag": value})


@settings(derandomize=True, max_examples=300, deadline=None)
@given(json_values)
def test_an_enum_leaf_reads_only_non_blank_strings(value: Any) -> None:
    cond = {"field": "properties.mode", "notIn": ["Disabled", "Off"]}
    if value is None or isinstance(value, str):
        assert _judge(cond, {"mode": value}) is (
            value is None or value.lower() not in ("disabled", "off")
        )
    else:
        with pytest.raises(MalformedValue, match=r"properties\.mode"):
            _judge(cond, {"mode": value})


def test_absent_keeps_its_reading_and_wildcards_check_each_item() -> None:
    assert _judge({"field": "properties.flag", "notEquals": True}, {}) is True
    assert _judge({"field": "properties.flag", "equals": True}, {}) is False
    cond = {"field": "properties.items[*].on", "notEquals": True}
    assert _judge(cond, {"items": [{"on": False}, {"on": False}]}) is True
    with pytest.raises(MalformedValue, match="expected a boolean"):
        _judge(cond, {"items": [{"on": False}, {"on": [False]}]})


def test_a_wrong_type_fails_where_failing_is_conservative_and_errs_under_not() -> None:
    positive = {"field": "properties.flag", "equals": False}
    assert _judge(positive, {"flag": [False]}) is False  # fails, as before: conservative
    assert _judge({"field": "properties.mode", "in": ["Disabled"]}, {"mode": 0}) is False
    with pytest.raises(MalformedValue, match="expected a boolean"):
        _judge({"not": positive}, {"flag": [False]})
    with pytest.raises(MalformedValue, match="expected a string"):
        _judge({"not": {"not": {"field": "properties.m", "notEquals": "X"}}}, {"m": [1]})
    assert _judge({"not": positive}, {"flag": True}) is True


def test_a_branch_that_settles_the_answer_still_decides() -> None:
    cond = {
        "anyOf": [
            {"field": "properties.ok", "equals": True},
            {"field": "properties.flag", "notEquals": True},
        ]
    }
    assert _judge(cond, {"ok": True, "flag": [True]}) is True
    with pytest.raises(MalformedValue):
        _judge(cond, {"ok": False, "flag": [True]})


@pytest.mark.parametrize(
    ("op", "operand", "typed"),
    [
        ("notEquals", True, True),
        ("notIn", [True, False], True),
        ("equals", True, False),
        ("in", ["A"], False),
        ("notEquals", "Enabled", True),
        ("notIn", ["A", "B"], True),
        ("equals", 3, False),
        ("in", ["A", True], False),
        ("equals", "[parameters('x')]", False),
        ("contains", "x", False),
        ("equals", "", False),
        ("in", [], False),
    ],
)
def test_which_operands_declare_a_type(op: str, operand: Any, typed: bool) -> None:
    assert (guard(op, operand) is not None) is typed
    if typed:
        assert guard(op, operand)(MISSING) is None  # type: ignore[misc]


def _patched(tmp: Path, name: str, change: Any) -> Path:
    doc = copy.deepcopy(_DOC)
    rows = doc["data"] if isinstance(doc, dict) else doc
    hits = [r for r in rows if str(r.get("name")) == name]
    assert hits, name
    change(hits[0])
    path = tmp / "estate.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "amlguard", "check", *args, "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def _statuses(out: str) -> dict[str, str]:
    found = {}
    for line in out.splitlines():
        if '"rule_id"' in line:
            f = json.loads(line.rstrip(","))
            found[f["rule_id"]] = f["status"] if f["rule_id"] not in found else found[f["rule_id"]]
            if f["status"] == "error":
                found[f["rule_id"]] = "error: " + f["message"]
    return found


def _storage_name() -> str:
    rows = _DOC["data"] if isinstance(_DOC, dict) else _DOC
    return next(
        str(r["name"])
        for r in rows
        if str(r["type"]).lower() == "microsoft.storage/storageaccounts"
    )


def _registry_name() -> str:
    rows = _DOC["data"] if isinstance(_DOC, dict) else _DOC
    return next(
        str(r["name"])
        for r in rows
        if str(r["type"]).lower() == "microsoft.containerregistry/registries"
    )


@pytest.mark.parametrize("value", [[True], {"value": True}, 1, "yes"])
def test_cli_hns_of_the_wrong_type_is_error(tmp_path: Path, value: Any) -> None:
    path = _patched(tmp_path, _storage_name(), lambda r: r["properties"].update(isHnsEnabled=value))
    done = _cli("--snapshot", str(path), "--rule", "AMLG-204")
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr
    status = _statuses(done.stdout)["AMLG-204"]
    assert status.startswith("error: ") and "properties.isHnsEnabled of " in status
    assert "expected a boolean" in status


@pytest.mark.parametrize("value", [[True], {"value": True}])
def test_cli_admin_user_of_the_wrong_type_is_error(tmp_path: Path, value: Any) -> None:
    name = _registry_name()
    path = _patched(tmp_path, name, lambda r: r["properties"].update(adminUserEnabled=value))
    done = _cli("--snapshot", str(path), "--rule", "AMLG-224")
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr
    assert "properties.adminUserEnabled of " in _statuses(done.stdout)["AMLG-224"]


def _aoao_with_rule(rule: Any) -> Any:
    def change(row: dict[str, Any]) -> None:
        net = row["properties"].setdefault("managedNetwork", {})
        net["isolationMode"] = "AllowOnlyApprovedOutbound"
        net.setdefault("outboundRules", {})["allow-x"] = rule

    return change


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "FQDN", "category": "UserDefined", "destination": ""},
        {"type": "FQDN", "category": "UserDefined", "destination": "  "},
        None,
    ],
)
def test_cli_blank_fqdn_rule_is_error(tmp_path: Path, rule: Any) -> None:
    rows = _DOC["data"] if isinstance(_DOC, dict) else _DOC
    ws = next(
        str(r["name"])
        for r in rows
        if str(r["type"]).lower() == "microsoft.machinelearningservices/workspaces"
    )
    path = _patched(tmp_path, ws, _aoao_with_rule(rule))
    done = _cli("--snapshot", str(path), "--rule", "AMLG-110")
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr
    assert "outboundRules.allow-x" in _statuses(done.stdout)["AMLG-110"]
