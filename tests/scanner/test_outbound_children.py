"""Outbound rules written as ``workspaces/outboundRules`` child resources count for every rule
(redteam5 defect 4): a broad child rule fails AMLG-110, a PrivateEndpoint child rule satisfies
AMLG-104; in snapshot rows and in templates."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.iac.source import TemplateSource
from amlguard.scanner.model import Status
from amlguard.scanner.outbound_children import fold
from tests.builders import Row, blueprint, row
from tests.builders_rules_a import approved_only
from tests.iac.helpers import DATA
from tests.iac.helpers import scan as scan_template
from tests.scanner.harness import all_pass, of_rule, scan

CHILD = "Microsoft.MachineLearningServices/workspaces/outboundRules"
BASE = DATA / "own" / "blueprint" / "azuredeploy.json"
PARAMS = {"vmAdminPassword": {"value": "Not-A-Real-Passw0rd!"}}


def _child(workspace: Row, name: str, body: Any, case: str = "same") -> Row:
    parent = str(workspace["id"])
    if case == "upper":
        parent = parent.upper()
    return row(f"{parent}/outboundRules/{name}", CHILD, properties=body)


def _status(rows: list[Row], rule_id: str) -> set[Status]:
    return {f.status for f in of_rule(scan(rows, rule_ids=[rule_id]), rule_id)}


# ---------------------------------------------------------------- snapshot rows


@pytest.mark.parametrize("case", ["same", "upper"])
def test_broad_child_rule_fails_110(case: str) -> None:
    inst = approved_only(blueprint())
    rows = inst.rows()
    assert _status(rows, "AMLG-110") == {Status.PASS}
    rows.append(_child(inst.workspace, "all", {"type": "FQDN", "destination": "*"}, case))
    (finding,) = of_rule(scan(rows, rule_ids=["AMLG-110"]), "AMLG-110")
    assert finding.status is Status.FAIL and "all (FQDN *" in finding.message


def test_private_endpoint_rule_as_child_satisfies_104() -> None:
    inst = blueprint()
    rules = inst.workspace["properties"]["managedNetwork"]["outboundRules"]
    assert rules, "the blueprint has inline PrivateEndpoint rules"
    moved = [_child(inst.workspace, name, body) for name, body in rules.items()]
    inst.workspace["properties"]["managedNetwork"]["outboundRules"] = {}
    assert Status.FAIL in _status(inst.rows(), "AMLG-104")  # without the children: drift
    all_pass([*inst.rows(), *moved])


def test_child_wins_over_inline_rule_of_the_same_name() -> None:
    inst = approved_only(blueprint())
    rules = inst.workspace["properties"]["managedNetwork"].setdefault("outboundRules", {})
    rules["Egress"] = {"type": "FQDN", "destination": "pypi.org", "category": "UserDefined"}
    child = _child(inst.workspace, "egress", {"type": "FQDN", "destination": "*"})
    assert _status([*inst.rows(), child], "AMLG-110") == {Status.FAIL}
    # and the other way round: a narrow child replaces a broad inline rule
    rules["Egress"] = {"type": "FQDN", "destination": "*"}
    child = _child(inst.workspace, "EGRESS", {"type": "FQDN", "destination": "pypi.org"})
    assert _status([*inst.rows(), child], "AMLG-110") == {Status.PASS}


def test_malformed_child_rule_is_error() -> None:
    inst = approved_only(blueprint())
    child = _child(inst.workspace, "x", None)
    child["properties"] = "FQDN *"
    assert _status([*inst.rows(), child], "AMLG-110") == {Status.ERROR}


def test_fold_never_changes_its_input_and_keeps_orphans() -> None:
    inst = approved_only(blueprint())
    rows = inst.rows()
    before = copy.deepcopy(rows)
    orphan = row(
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/"
        "workspaces/gone/outboundRules/r",
        CHILD,
        properties={"type": "FQDN", "destination": "*"},
    )
    child = _child(inst.workspace, "r", {"type": "FQDN", "destination": "*"})
    out = fold([*rows, child, orphan])
    assert rows == before
    assert orphan in out and child in out
    (ws,) = [r for r in out if r["id"] == inst.workspace["id"]]
    assert ws["properties"]["managedNetwork"]["outboundRules"]["r"]["destination"] == "*"


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    names=st.lists(st.sampled_from(["a", "A", "b", "B", "c"]), min_size=1, max_size=5),
    inline=st.lists(st.sampled_from(["a", "B", "d"]), max_size=3),
)
def test_property_one_rule_per_name_and_the_last_child_wins(
    names: list[str], inline: list[str]
) -> None:
    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"]["outboundRules"] = {
        n: {"type": "FQDN", "destination": f"inline-{n}.org"} for n in inline
    }
    children = [
        _child(inst.workspace, n, {"type": "FQDN", "destination": f"child-{i}.org"})
        for i, n in enumerate(names)
    ]
    (ws,) = [r for r in fold([inst.workspace, *children]) if r["id"] == inst.workspace["id"]]
    rules = ws["properties"]["managedNetwork"]["outboundRules"]
    lowered = [k.lower() for k in rules]
    assert len(lowered) == len(set(lowered))
    for n in {n.lower() for n in names}:
        last = max(i for i, m in enumerate(names) if m.lower() == n)
        (key,) = [k for k in rules if k.lower() == n]
        assert rules[key]["destination"] == f"child-{last}.org"


# ---------------------------------------------------------------- templates


def _template(tmp_path: Path, change: Any) -> TemplateSource:
    template = json.loads(BASE.read_text())
    change(template)
    path = tmp_path / "main.json"
    path.write_text(json.dumps(template))
    params = tmp_path / "main.parameters.json"
    params.write_text(json.dumps({"parameters": PARAMS}))
    return TemplateSource([path], [params])


def _workspace(template: dict[str, Any]) -> dict[str, Any]:
    return next(
        r
        for r in template["resources"]
        if r["type"].lower() == "microsoft.machinelearningservices/workspaces"
    )


def _child_resource(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": CHILD,
        "apiVersion": "2024-10-01",
        "name": f"[format('{{0}}/{{1}}', variables('workspaceName'), '{name}')]",
        "properties": body,
        "dependsOn": [
            "[resourceId('Microsoft.MachineLearningServices/workspaces', "
            "variables('workspaceName'))]"
        ],
    }


def _by_rule(source: TemplateSource, rule_id: str) -> set[Status]:
    return {f.status for f in scan_template(source).findings if f.rule_id == rule_id}


def test_template_child_rules_fail_110(tmp_path: Path) -> None:
    def change(t: dict[str, Any]) -> None:
        _workspace(t)["properties"]["managedNetwork"]["isolationMode"] = "AllowOnlyApprovedOutbound"
        t["resources"].append(
            _child_resource(
                "allowAll", {"type": "FQDN", "category": "UserDefined", "destination": "*"}
            )
        )

    assert _by_rule(_template(tmp_path, change), "AMLG-110") == {Status.FAIL}


def test_template_private_endpoint_child_rule_satisfies_104(tmp_path: Path) -> None:
    def change(t: dict[str, Any]) -> None:
        net = _workspace(t)["properties"]["managedNetwork"]
        rules = net["outboundRules"]
        net["outboundRules"] = {}
        t["resources"].extend(_child_resource(n, body) for n, body in rules.items())

    assert _by_rule(_template(tmp_path, change), "AMLG-104") == {Status.PASS}
