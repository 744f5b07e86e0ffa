"""Builds the example estates in ``examples/estates/`` from the builders.

Run ``python -m tests.make_examples`` after changing a builder; a test asserts the committed
files equal what this produces, so the examples never drift from the builders.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import (
    APPROVER_ROLE,
    Instance,
    blueprint,
    connectivity,
    foundry_hub,
    landing_zone,
    rid,
    role_assignment,
    row,
    unrelated,
)
from tests.examples_vwan import virtual_wan_drifted, virtual_wan_estate

ROOT = Path(__file__).resolve().parent.parent / "examples" / "estates"
SUB_A = "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
SUB_B = "d2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f60"


def _jumphost_extras(inst: Instance) -> list[dict]:
    bastion_pip = rid(
        inst.sub, inst.rg, "Microsoft.Network/publicIPAddresses", f"{inst.prefix}-bas-pip"
    )
    return [
        row(
            rid(inst.sub, inst.rg, "Microsoft.Network/bastionHosts", f"{inst.prefix}-bas"),
            "microsoft.network/bastionhosts",
            inst.vnet["location"],
            {
                "ipConfigurations": [
                    {
                        "name": "IpConf",
                        "properties": {
                            "subnet": {"id": f"{inst.vnet['id']}/subnets/AzureBastionSubnet"},
                            "publicIPAddress": {"id": bastion_pip},
                        },
                    }
                ]
            },
        ),
        row(
            bastion_pip,
            "microsoft.network/publicipaddresses",
            inst.vnet["location"],
            {"ipAddress": "20.52.1.10"},
        ),
        row(
            rid(inst.sub, inst.rg, "Microsoft.Compute/virtualMachines", f"{inst.prefix}-jumphost"),
            "microsoft.compute/virtualmachines",
            inst.vnet["location"],
            {"networkProfile": {"networkInterfaces": [{"id": inst.nics[0]["id"]}]}},
        ),
    ]


def compliant() -> list[dict]:
    """The seed article's deployment, fully compliant."""
    inst = blueprint(SUB_A, "ml-secure-blueprint", "blueprint-dev", "germanywestcentral")
    inst.extra += _jumphost_extras(inst)
    return inst.rows()


def drifted() -> list[dict]:
    """The same deployment a few months on: realistic drift across most rule areas."""
    inst = blueprint(SUB_A, "ml-secure-blueprint", "blueprint-dev", "germanywestcentral")
    inst.extra += _jumphost_extras(inst)
    ws = inst.workspace["properties"]
    ws["publicNetworkAccess"] = "Enabled"  # opened "for a quick debug session"
    ws["managedNetwork"]["status"] = {"status": "Inactive", "sparkReady": False}
    for rule in ws["managedNetwork"]["outboundRules"].values():
        rule["status"] = "Inactive"
    # A second AI account, added later by hand: public, no subdomain, no endpoint, no rule.
    inst.extra.append(
        row(
            rid(inst.sub, inst.rg, "Microsoft.CognitiveServices/accounts", "blueprint-dev-aisvc"),
            "microsoft.cognitiveservices/accounts",
            "germanywestcentral",
            {"publicNetworkAccess": "Enabled"},
            kind="AIServices",
            sku={"name": "S0"},
        )
    )
    # The approver role was "tidied up" to the storage account only.
    inst.role_assignments = [role_assignment(inst.storage["id"], inst.principal_id)]
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    inst.registry["properties"]["publicNetworkAccess"] = "Enabled"
    # The managed network's endpoint to the key vault waits for approval (AMLG-106).
    inst.keyvault["properties"]["privateEndpointConnections"].append(
        {
            "id": f"{inst.keyvault['id']}/privateEndpointConnections/managed-vnet-kv",
            "name": "managed-vnet-kv",
            "properties": {
                "privateEndpoint": {
                    "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
                    "azureml-managed-rg/providers/Microsoft.Network/privateEndpoints/managed-vnet-kv"
                },
                "privateLinkServiceConnectionState": {"status": "Pending", "description": ""},
            },
        }
    )
    del inst.links["privatelink.azurecr.io"]
    inst.nics[0]["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"] = {
        "id": rid(inst.sub, inst.rg, "Microsoft.Network/publicIPAddresses", "jumphost-pip")
    }
    return inst.rows()


DRIFTED_FAILING = [
    "AMLG-101",
    "AMLG-103",
    "AMLG-104",
    "AMLG-106",
    "AMLG-201",
    "AMLG-222",
    "AMLG-231",
    "AMLG-232",
    "AMLG-233",
    "AMLG-240",
    "AMLG-301",
    "AMLG-302",
]


def multi_workspace() -> list[dict]:
    """Three workspaces across two subscriptions, plus resources no workspace uses."""
    prod = blueprint(SUB_A, "ml-prod", "mlprod", "westeurope")
    research = blueprint(SUB_A, "ml-research", "mlresearch", "westeurope")
    research.workspace["properties"]["managedNetwork"]["isolationMode"] = "Disabled"
    research.workspace["identity"] = {
        "type": "SystemAssigned",
        "principalId": "5a0b9c1d-0000-4000-8000-000000000001",
    }
    research.workspace["properties"].pop("primaryUserAssignedIdentity")
    emea = blueprint(SUB_B, "ml-emea", "mlemea", "northeurope")
    emea.registry["sku"] = {"name": "Standard", "tier": "Standard"}
    emea.remove_endpoint("registry")
    rows = prod.rows() + research.rows() + emea.rows()
    rows += unrelated(SUB_A, "shared-services", 12, "shared")
    rows += unrelated(SUB_B, "web-apps", 8, "web")
    # A role assignment of the approver role to someone else: must not count for anyone.
    rows.append(
        role_assignment(
            f"/subscriptions/{SUB_A}", "0bad0bad-0000-4000-8000-00000000dead", APPROVER_ROLE
        )
    )
    return rows


def _hub() -> Instance:
    hub = foundry_hub(
        SUB_A, "ai-foundry-hub", "foundry-dev", "swedencentral", (None, "ai-projects")
    )
    hub.extra += _jumphost_extras(hub)
    return hub


def foundry_hub_estate() -> list[dict]:
    """An Azure AI Foundry hub with two projects, one in another resource group: compliant."""
    return _hub().rows()


def foundry_hub_drifted() -> list[dict]:
    """The hub estate drifted: the hub opened to the internet, and an AI account added in the
    second project's resource group without an outbound rule. The projects themselves are never
    judged by the workspace rules (a project whose hub is gone is AMLG-120's error: the tests)."""
    hub = _hub()
    hub.workspace["properties"]["publicNetworkAccess"] = "Enabled"
    hub.extra.append(
        row(
            rid(hub.sub, "ai-projects", "Microsoft.CognitiveServices/accounts", "foundry-dev-ais"),
            "microsoft.cognitiveservices/accounts",
            "swedencentral",
            {"publicNetworkAccess": "Enabled"},
            kind="AIServices",
            sku={"name": "S0"},
        )
    )
    return hub.rows()


FOUNDRY_DRIFTED_NOT_PASSING = {
    "AMLG-101": {"fail"},
    "AMLG-104": {"fail"},
    "AMLG-106": {"fail"},
    "AMLG-231": {"fail"},
    "AMLG-232": {"fail"},
    "AMLG-233": {"fail"},
}


SUB_HUB = "c0ffee00-1111-4222-8333-444455556666"


def _landing_zone() -> tuple[list[Instance], object]:
    hub = connectivity(SUB_HUB, "rg-connectivity", "westeurope")
    spokes = [
        landing_zone(blueprint(SUB_A, "ml-spoke-a", "spoke-a", "westeurope"), hub, "resolver"),
        landing_zone(blueprint(SUB_B, "ml-spoke-b", "spoke-b", "westeurope"), hub, "ruleset"),
    ]
    return spokes, hub


def landing_zone_estate() -> list[dict]:
    """Two spokes whose private DNS zones live in a connectivity subscription, resolved through
    Azure DNS Private Resolver: spoke A by custom DNS to the inbound endpoint, spoke B by a
    forwarding ruleset (Microsoft's centralized and distributed designs). Compliant."""
    spokes, hub = _landing_zone()
    return [r for s in spokes for r in s.rows()] + hub.rows()  # type: ignore[attr-defined]


def landing_zone_drifted() -> list[dict]:
    """The landing zone drifted: spoke A's peering to the hub is disconnected (none of its
    zones resolves), and the forwarding rule for the key vault zone was disabled (spoke B)."""
    spokes, hub = _landing_zone()
    peering = spokes[0].vnet["properties"]["virtualNetworkPeerings"][0]
    peering["properties"]["peeringState"] = "Disconnected"
    rules = hub.rules  # type: ignore[attr-defined]
    rules["privatelink.vaultcore.azure.net"]["properties"]["forwardingRuleState"] = "Disabled"
    return [r for s in spokes for r in s.rows()] + hub.rows()  # type: ignore[attr-defined]


ESTATES = {
    "compliant.json": compliant,
    "drifted.json": drifted,
    "multi-workspace.json": multi_workspace,
    "foundry-hub.json": foundry_hub_estate,
    "foundry-hub-drifted.json": foundry_hub_drifted,
    "landing-zone.json": landing_zone_estate,
    "landing-zone-drifted.json": landing_zone_drifted,
    "virtual-wan.json": virtual_wan_estate,
    "virtual-wan-drifted.json": virtual_wan_drifted,
}


def render(rows: list[dict]) -> str:
    """The committed text of an estate: az graph query's ``{"data": [...]}`` shape."""
    return json.dumps({"count": len(rows), "data": rows}, indent=2) + "\n"


def main() -> None:
    ROOT.mkdir(parents=True, exist_ok=True)
    for name, build in ESTATES.items():
        (ROOT / name).write_text(render(build()), encoding="utf-8")
        print(f"wrote {ROOT / name}")


if __name__ == "__main__":
    main()
