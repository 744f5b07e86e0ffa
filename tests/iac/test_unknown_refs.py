"""Ids unknown before deployment where a row points at another resource (redteam6 items 9/10).

A DNS link's VNet, a zone group's zone id, an outbound rule's destination or a private
endpoint's target that only exists after deployment (``reference(...)``) was compared as text
and never matched: "not linked" / "no approved private endpoint" failures, or the findings
skipped for want of a solution VNet. Each must be ``error`` naming the unknown value (exit 3),
unless a known path already decides.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_INCOMPLETE, EXIT_OK

OWN = Path(__file__).resolve().parent / "data" / "own" / "blueprint"
BASE = json.loads((OWN / "azuredeploy.json").read_text())
PARAMS = OWN / "azuredeploy.parameters.json"
#: an expression only known after deployment
LATER = "reference(variables('identityId')).principalId"
#: the same, inside the nested endpoints deployment (its own parameters, no variables)
LATER_NESTED = "reference(parameters('location')).principalId"
PE_RULES = {"AMLG-109", "AMLG-202", "AMLG-212", "AMLG-223", "AMLG-233"}


def _resources(template: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    out = []
    for res in template["resources"]:
        if res["type"].lower() == rtype.lower():
            out.append(res)
        if res["type"] == "Microsoft.Resources/deployments":
            out += _resources(res["properties"]["template"], rtype)
    return out


def _check(tmp_path: Path, mutate: Callable[[dict[str, Any]], None]) -> tuple[int, list[Any]]:
    template = copy.deepcopy(BASE)
    mutate(template)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template, indent=1))
    args = ["check", "--template", str(path), "--parameters", str(PARAMS), "-f", "json"]
    result = CliRunner().invoke(cli, [*args, "--deployment-location", "westeurope"])
    doc = json.loads(result.stdout)
    return result.exit_code, [f for f in doc["findings"] if f["status"] != "pass"]


def _statuses(findings: list[Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f["rule_id"], set()).add(f["status"])
    return out


def test_the_base_template_passes(tmp_path: Path) -> None:
    code, findings = _check(tmp_path, lambda t: None)
    assert code == EXIT_OK and findings == []


def _unknown_link_vnet(template: dict[str, Any]) -> None:
    for link in _resources(template, "Microsoft.Network/privateDnsZones/virtualNetworkLinks"):
        link["properties"]["virtualNetwork"]["id"] = (
            f"[resourceId('Microsoft.Network/virtualNetworks', {LATER})]"
        )


def test_a_link_to_an_unknown_vnet_is_an_error_not_not_linked(tmp_path: Path) -> None:
    code, findings = _check(tmp_path, _unknown_link_vnet)
    assert code == EXIT_INCOMPLETE
    assert _statuses(findings) == {"AMLG-301": {"error"}}
    for f in findings:
        assert "unknown before deployment" in f["message"]
        assert "virtualNetwork.id" in f["message"]


def test_a_known_link_still_decides_beside_an_unknown_one(tmp_path: Path) -> None:
    def both(template: dict[str, Any]) -> None:
        link = _resources(template, "Microsoft.Network/privateDnsZones/virtualNetworkLinks")[0]
        other = copy.deepcopy(link)
        other["name"] = link["name"].replace("-link", "-hub-link")
        other["properties"]["virtualNetwork"]["id"] = (
            f"[resourceId('Microsoft.Network/virtualNetworks', {LATER})]"
        )
        template["resources"].append(other)

    code, findings = _check(tmp_path, both)
    assert code == EXIT_OK and findings == []


def test_an_unknown_zone_id_in_a_zone_group_is_an_error(tmp_path: Path) -> None:
    def zone_id(template: dict[str, Any]) -> None:
        for group in _resources(
            template, "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
        ):
            copy_spec = group["properties"]["copy"][0]
            copy_spec["input"]["properties"]["privateDnsZoneId"] = (
                f"[resourceId('Microsoft.Network/privateDnsZones', {LATER_NESTED})]"
            )

    code, findings = _check(tmp_path, zone_id)
    assert code == EXIT_INCOMPLETE
    statuses = _statuses(findings)
    assert set(statuses) >= PE_RULES
    assert all(s == {"error"} for s in statuses.values()), statuses
    assert all("unknown before deployment" in f["message"] for f in findings)


def test_an_unknown_outbound_destination_is_an_error_for_the_approver_rule(
    tmp_path: Path,
) -> None:
    def destination(template: dict[str, Any]) -> None:
        ws = _resources(template, "Microsoft.MachineLearningServices/workspaces")[0]
        for rule in ws["properties"]["managedNetwork"]["outboundRules"].values():
            if "serviceResourceId" in rule.get("destination", {}):
                rule["destination"]["serviceResourceId"] = (
                    f"[resourceId('Microsoft.CognitiveServices/accounts', {LATER})]"
                )

    code, findings = _check(tmp_path, destination)
    assert code == EXIT_INCOMPLETE
    statuses = _statuses(findings)
    assert statuses.get("AMLG-106") == {"error"}, statuses
    assert all(s == {"error"} for s in statuses.values()), statuses
    for f in findings:
        assert "unknown before deployment" in f["message"]
        assert "managedidentity" not in f["resource_type"].lower()


def _unknown_target(first_only: bool) -> Callable[[dict[str, Any]], None]:
    def mutate(template: dict[str, Any]) -> None:
        for pe in _resources(template, "Microsoft.Network/privateEndpoints"):
            conn = pe["properties"]["privateLinkServiceConnections"][0]["properties"]
            known = conn["privateLinkServiceId"][1:-1]
            later = LATER_NESTED
            if first_only:
                later = f"if(equals(copyIndex(), 0), {LATER_NESTED}, {known})"
            conn["privateLinkServiceId"] = f"[{later}]"

    return mutate


def test_endpoints_with_unknown_targets_make_their_findings_errors(tmp_path: Path) -> None:
    code, findings = _check(tmp_path, _unknown_target(first_only=False))
    assert code == EXIT_INCOMPLETE
    statuses = _statuses(findings)
    assert PE_RULES | {"AMLG-301", "AMLG-302"} <= set(statuses), statuses
    assert all(s == {"error"} for s in statuses.values()), statuses
    # each names the unknown target: at the property, or as the endpoint's target (AMLG-233
    # reads the solution VNet, which the endpoint's unknown target leaves undetermined)
    for f in findings:
        assert "unknown before deployment" in f["message"], f["message"]
        assert (
            "privateLinkServiceId" in f["message"]
            or "the target of private endpoint" in (f["message"])
        ), f["message"]


def test_an_unknown_target_errs_only_where_its_group_could_serve(tmp_path: Path) -> None:
    code, findings = _check(tmp_path, _unknown_target(first_only=True))
    assert code == EXIT_INCOMPLETE
    statuses = _statuses(findings)
    # the first endpoint is the workspace's (amlworkspace): the storage, key vault and registry
    # endpoints, whose targets are known, still decide their resources' rules
    assert statuses == {"AMLG-109": {"error"}}, statuses
