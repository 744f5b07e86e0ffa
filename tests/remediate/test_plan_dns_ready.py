"""The plan never cuts public access while the resource's private DNS zones do not resolve in
the solution VNet (red team session 5, defect 16).

An approved endpoint with a zone group is not enough: the zones the private link table lists
for the endpoint's group must answer inside the solution VNet, as the scan judges private DNS
zones (a link, a resolver, a DNS proxy, a forwarding ruleset, ``trusted_dns_servers``); else the
step stays manual, saying which zone and why. The same holds for the workspace's own public
access.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from amlguard.cli import cli
from tests.conftest import EXAMPLES

ACR = "blueprintdevacr"
STORAGE = "blueprintdevst"
WORKSPACE = "blueprint-dev-mlw"
VNET_ID = (
    "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint"
    "/providers/Microsoft.Network/virtualNetworks/blueprint-dev-vnet"
)


def _drifted() -> list[dict[str, Any]]:
    return list(json.loads((EXAMPLES / "drifted.json").read_text())["data"])


def _plan(tmp_path: Path, rows: list[dict[str, Any]], config: str = "") -> dict[str, Any]:
    snap, out = tmp_path / "estate.json", tmp_path / "plan.json"
    snap.write_text(json.dumps({"data": rows}), encoding="utf-8")
    args = ["check", "--snapshot", str(snap), "--fix", "--plan-out", str(out)]
    if config:
        cfg = tmp_path / "amlguard.yaml"
        cfg.write_text(config, encoding="utf-8")
        args += ["--config", str(cfg)]
    result = CliRunner().invoke(cli, args)
    assert out.exists(), result.output
    return dict(json.loads(out.read_text()))


def _cuts(plan: dict[str, Any]) -> set[str]:
    """Names of the resources whose public access the plan disables."""
    return {
        a["target"].rsplit("/", 1)[-1]
        for a in plan["actions"]
        if a["operation"] == "disable-public-network-access"
    }


def _manual(plan: dict[str, Any], name: str) -> list[str]:
    return [
        m["reason"] for m in plan["manual"] if m["resource_id"].lower().endswith("/" + name.lower())
    ]


def _link_zone(rows: list[dict[str, Any]], zone: str) -> None:
    """Add a link from ``zone`` to the solution VNet."""
    zone_row = next(r for r in rows if r["name"] == zone and r["type"].endswith("privatednszones"))
    link_id = zone_row["id"] + "/virtualNetworkLinks/solution-link"
    rows.append(
        {
            "id": link_id,
            "name": "solution-link",
            "type": "microsoft.network/privatednszones/virtualnetworklinks",
            "location": "global",
            "resourceGroup": zone_row["resourceGroup"],
            "subscriptionId": zone_row["subscriptionId"],
            "properties": {
                "virtualNetwork": {"id": VNET_ID},
                "registrationEnabled": False,
                "provisioningState": "Succeeded",
            },
        }
    )


def _unlink_zone(rows: list[dict[str, Any]], zone: str) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if not (
            r["type"].endswith("virtualnetworklinks") and f"/privateDnsZones/{zone}/" in r["id"]
        )
    ]


def test_registry_public_access_waits_while_its_zone_does_not_resolve(tmp_path: Path) -> None:
    plan = _plan(tmp_path, _drifted())
    assert ACR not in _cuts(plan)
    (reason,) = _manual(plan, ACR)
    assert "privatelink.azurecr.io" in reason and "does not resolve" in reason
    assert "locked out" in reason
    assert STORAGE in _cuts(plan)  # its zones resolve: still fixed automatically


def test_once_the_zone_resolves_the_registry_is_fixed(tmp_path: Path) -> None:
    rows = _drifted()
    _link_zone(rows, "privatelink.azurecr.io")
    assert ACR in _cuts(_plan(tmp_path, rows))


def test_the_workspaces_own_public_access_waits_for_its_zones(tmp_path: Path) -> None:
    rows = _unlink_zone(_drifted(), "privatelink.notebooks.azure.net")
    plan = _plan(tmp_path, rows)
    assert WORKSPACE not in _cuts(plan)
    assert any("privatelink.notebooks.azure.net" in r for r in _manual(plan, WORKSPACE))


def test_one_of_two_zones_of_a_storage_endpoint_group_is_enough_to_wait(tmp_path: Path) -> None:
    """The storage has a blob and a file endpoint: the file zone alone not resolving blocks."""
    rows = _unlink_zone(_drifted(), "privatelink.file.core.windows.net")
    plan = _plan(tmp_path, rows)
    assert STORAGE not in _cuts(plan)
    assert any("privatelink.file.core.windows.net" in r for r in _manual(plan, STORAGE))


def _custom_dns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        if r["id"].lower() == VNET_ID.lower():
            r["properties"]["dhcpOptions"] = {"dnsServers": ["10.9.9.9"]}
    return rows


def test_unattributable_custom_dns_servers_hold_every_cut_back(tmp_path: Path) -> None:
    """Every zone is linked, but the VNet asks a DNS server nobody can attribute."""
    rows = _custom_dns(_drifted())
    _link_zone(rows, "privatelink.azurecr.io")
    plan = _plan(tmp_path, rows)
    assert _cuts(plan) == set()
    assert any("10.9.9.9" in r for r in _manual(plan, STORAGE))


def test_trusted_dns_servers_from_the_config_count(tmp_path: Path) -> None:
    rows = _custom_dns(_drifted())
    _link_zone(rows, "privatelink.azurecr.io")
    config = (
        "parameters:\n  AMLG-301:\n    trusted_dns_servers:\n"
        f"      - {{ip: 10.9.9.9, vnet: '{VNET_ID}'}}\n"
    )
    assert {ACR, STORAGE, WORKSPACE} <= _cuts(_plan(tmp_path, rows, config))
