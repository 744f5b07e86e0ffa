"""Hub-and-spoke templates through the real CLI (redteam9 #9): a peering a template declares is
a path once both legs exist (an assumption the finding names), and known only after deployment
when the remote leg is nowhere (``error``, exit 3), never "not peered" (``fail``, exit 1)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from amlguard.iac import bicep, bicepread
from tests.iac.helpers import DATA

HERE = DATA / "own" / "peering"
CHILD = HERE / "hubspoke-child.json"
INLINE = HERE / "hubspoke-inline.json"
BICEP = HERE / "hubspoke.bicep"
SPOKE_A = HERE / "spoke-a.json"
ESTATE = Path(__file__).parents[2] / "examples" / "estates" / "landing-zone.json"
SPOKE_A_SCOPE = [
    "--deployment-subscription",
    "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b",
    "--deployment-resource-group",
    "ml-spoke-a",
]
ASSUMED = "Before deployment amlguard assumed VNet peering(s)"
UNKNOWN = "unknown before deployment: whether VNet peering(s)"


def check(*args: str, rule: str = "AMLG-301") -> tuple[int, list[dict[str, Any]]]:
    argv = ["check", *args, "--deployment-location", "westeurope", "--rule", rule, "-f", "json"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code in (EXIT_OK, EXIT_FINDINGS, EXIT_INCOMPLETE), result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    assert findings
    return result.exit_code, findings


def written(tmp_path: Path, doc: dict[str, Any], name: str = "t.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def without(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The template without the resource named ``name``."""
    out = copy.deepcopy(doc)
    out["resources"] = [r for r in out["resources"] if r["name"] != name]
    return out


def inline_vnet(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in doc["resources"] if r["name"] == name)


# ---- the template holds both legs: pass, naming the assumption ------------------------------


@pytest.mark.parametrize("template", [CHILD, INLINE], ids=["child", "inline"])
def test_both_legs_declared_pass_with_the_assumption_named(template: Path) -> None:
    code, findings = check("--template", str(template))
    assert code == EXIT_OK
    assert [f["status"] for f in findings] == ["pass", "pass"]
    for f in findings:
        assert "DNS Private Resolver inbound endpoint in-hub (10.100.1.4)" in f["message"]
        assert ASSUMED in f["message"]
        assert "the remote leg is in the template" in f["message"]


# ---- the remote leg is nowhere: error (exit 3), never "not peered" ---------------------------


@pytest.mark.parametrize(
    ("template", "edit"),
    [
        (CHILD, lambda d: without(d, "vnet-hub/to-spoke")),
        (
            INLINE,
            lambda d: (
                inline_vnet(d, "vnet-hub")["properties"].pop("virtualNetworkPeerings"),
                d,
            )[1],
        ),
    ],
    ids=["child", "inline"],
)
def test_a_missing_remote_leg_is_error_not_fail(template: Path, edit: Any, tmp_path: Path) -> None:
    code, findings = check("--template", str(written(tmp_path, edit(load(template)))))
    assert code == EXIT_INCOMPLETE
    assert [f["status"] for f in findings] == ["error", "error"]
    for f in findings:
        assert UNKNOWN in f["message"]
        assert "vnet-spoke/to-" in f["message"]
        assert "on the template as written: fail" in f["message"]
        assert "Declare the remote leg" in str(f["remediation"])


def test_a_hand_written_connected_state_is_not_believed(tmp_path: Path) -> None:
    """peeringState is read-only: written by hand it proves nothing (the report's workaround)."""
    doc = load(INLINE)
    inline_vnet(doc, "vnet-hub")["properties"].pop("virtualNetworkPeerings")
    spoke = inline_vnet(doc, "vnet-spoke")["properties"]["virtualNetworkPeerings"][0]
    spoke["properties"]["peeringState"] = "Connected"
    code, findings = check("--template", str(written(tmp_path, doc)))
    assert code == EXIT_INCOMPLETE
    assert {f["status"] for f in findings} == {"error"}


def test_no_spoke_leg_at_all_still_fails(tmp_path: Path) -> None:
    """Without the spoke's own leg nothing is unknown: the spoke is not peered (fail)."""
    doc = without(without(load(CHILD), "vnet-spoke/to-hub"), "vnet-hub/to-spoke")
    code, findings = check("--template", str(written(tmp_path, doc)))
    assert code == EXIT_FINDINGS
    assert {f["status"] for f in findings} == {"fail"}
    assert all("not peered to (peering Connected)" in f["message"] for f in findings)


def test_a_finding_the_peering_does_not_decide_keeps_its_verdict(tmp_path: Path) -> None:
    """The zone is not linked to the hub: it fails with the peering Connected or not."""
    doc = without(load(CHILD), "vnet-hub/to-spoke")
    doc = without(doc, "privatelink.notebooks.azure.net/hub-link")
    code, findings = check("--template", str(written(tmp_path, doc)))
    by_zone = {f["resource_id"].rsplit("/", 1)[-1]: f for f in findings}
    assert by_zone["privatelink.notebooks.azure.net"]["status"] == "fail"
    assert by_zone["privatelink.api.azureml.ms"]["status"] == "error"
    assert code == EXIT_INCOMPLETE


def test_allow_virtual_network_access_is_kept_as_declared(tmp_path: Path) -> None:
    doc = load(CHILD)
    leg = next(r for r in doc["resources"] if r["name"] == "vnet-spoke/to-hub")
    leg["properties"]["allowVirtualNetworkAccess"] = False
    out = tmp_path / "rows.json"
    result = CliRunner().invoke(
        cli, ["template", "rows", "--template", str(written(tmp_path, doc)), "-o", str(out)]
    )
    assert result.exit_code == EXIT_OK, result.output
    rows = load(out)["data"]
    assert not any("virtualnetworkpeerings" in r["type"].lower() for r in rows)
    spoke = next(r for r in rows if r["name"] == "vnet-spoke")
    (peering,) = spoke["properties"]["virtualNetworkPeerings"]
    assert peering["properties"]["allowVirtualNetworkAccess"] is False
    assert peering["properties"]["peeringState"] == "Connected"
    assert peering["id"].endswith("/virtualNetworks/vnet-spoke/virtualNetworkPeerings/to-hub")


# ---- the rows file is judged as its template ------------------------------------------------


@pytest.mark.parametrize("drop_hub_leg", [False, True])
def test_a_rows_file_is_judged_as_its_template(tmp_path: Path, drop_hub_leg: bool) -> None:
    doc = load(CHILD)
    if drop_hub_leg:
        doc = without(doc, "vnet-hub/to-spoke")
    template = written(tmp_path, doc)
    out = tmp_path / "rows.json"
    result = CliRunner().invoke(
        cli, ["template", "rows", "--template", str(template), "-o", str(out)]
    )
    assert result.exit_code == EXIT_OK, result.output
    direct = check("--template", str(template))
    again = check("--snapshot", str(out))
    assert again[0] == direct[0] == (EXIT_INCOMPLETE if drop_hub_leg else EXIT_OK)
    assert [(f["status"], f["message"]) for f in again[1]] == [
        (f["status"], f["message"]) for f in direct[1]
    ]


# ---- laid over an estate: the remote leg may be there ----------------------------------------


def estate_with_hub_leg(tmp_path: Path, state: str | None) -> Path:
    """landing-zone.json with the hub's leg to spoke-a in ``state`` (None: no such leg)."""
    doc = load(ESTATE)
    hub = next(r for r in doc["data"] if r["name"] == "vnet-hub")
    legs = hub["properties"]["virtualNetworkPeerings"]
    leg = next(p for p in legs if p["name"] == "to-spoke-a")
    if state is None:
        legs.remove(leg)
    else:
        leg["properties"]["peeringState"] = state
    return written(tmp_path, doc, "estate.json")


@pytest.mark.parametrize("state", ["Connected", "Initiated"])
def test_a_remote_leg_in_the_estate_passes_with_the_assumption(tmp_path: Path, state: str) -> None:
    estate = estate_with_hub_leg(tmp_path, state)
    code, findings = check("--template", str(SPOKE_A), "--snapshot", str(estate), *SPOKE_A_SCOPE)
    spoke_a = [f for f in findings if "/ml-spoke-a/" in f["instance"].lower()]
    assert len(spoke_a) == 7
    assert {f["status"] for f in spoke_a} == {"pass"}
    assert all(ASSUMED in f["message"] and "is in the estate" in f["message"] for f in spoke_a)
    assert code in (EXIT_OK, EXIT_FINDINGS)  # other workspaces are judged as the estate is


@pytest.mark.parametrize("state", [None, "Disconnected"])
def test_no_live_remote_leg_in_the_estate_is_error(tmp_path: Path, state: str | None) -> None:
    estate = estate_with_hub_leg(tmp_path, state)
    code, findings = check("--template", str(SPOKE_A), "--snapshot", str(estate), *SPOKE_A_SCOPE)
    spoke_a = [f for f in findings if "/ml-spoke-a/" in f["instance"].lower()]
    assert {f["status"] for f in spoke_a} == {"error"}
    assert all("spoke-a-vnet/to-hub" in f["message"] for f in spoke_a)
    assert code == EXIT_INCOMPLETE


def test_the_hub_leg_declared_on_the_estate_hub_is_folded_into_it(tmp_path: Path) -> None:
    """A spoke template that also deploys the hub's leg (a nested deployment into the hub's
    resource group, as AVM's remote peering does) connects the spoke over an estate whose hub
    has no leg to it yet."""
    estate = estate_with_hub_leg(tmp_path, None)
    doc = load(SPOKE_A)
    spoke_id = (
        "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-spoke-a/providers/"
        "Microsoft.Network/virtualNetworks/spoke-a-vnet"
    )
    hub_leg = {
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        "apiVersion": "2023-09-01",
        "name": "vnet-hub/to-spoke-a",
        "properties": {"remoteVirtualNetwork": {"id": spoke_id}, "allowVirtualNetworkAccess": True},
    }
    doc["resources"].append(
        {
            "type": "Microsoft.Resources/deployments",
            "apiVersion": "2022-09-01",
            "name": "hub-leg",
            "subscriptionId": "c0ffee00-1111-4222-8333-444455556666",
            "resourceGroup": "rg-connectivity",
            "properties": {
                "mode": "Incremental",
                "expressionEvaluationOptions": {"scope": "inner"},
                "template": {
                    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
                    "deploymentTemplate.json#",
                    "contentVersion": "1.0.0.0",
                    "resources": [hub_leg],
                },
            },
        }
    )
    template = written(tmp_path, doc)
    code, findings = check("--template", str(template), "--snapshot", str(estate), *SPOKE_A_SCOPE)
    spoke_a = [f for f in findings if "/ml-spoke-a/" in f["instance"].lower()]
    assert {f["status"] for f in spoke_a} == {"pass"}
    assert all("is in the template" in f["message"] for f in spoke_a)
    assert code in (EXIT_OK, EXIT_FINDINGS)  # other workspaces are judged as the estate is


# ---- Bicep (the built-in reader; the Bicep CLI compiles to the same ARM JSON) ----------------


@pytest.fixture
def builtin_reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No Bicep CLI, whatever the machine has: the built-in reader is what is tested."""
    if not bicepread.available():
        if os.environ.get("CI"):
            pytest.fail("CI is set and the bicep extra (tree-sitter-bicep) is not installed")
        pytest.skip("the bicep extra is not installed (amlguard[bicep])")
    monkeypatch.delenv("AMLGUARD_BICEP", raising=False)
    monkeypatch.setattr(bicep, "find_cli", lambda: None)
    yield


@pytest.mark.usefixtures("builtin_reader")
def test_bicep_nested_and_parent_peerings_pass() -> None:
    code, findings = check("--template", str(BICEP))
    assert code == EXIT_OK
    assert [f["status"] for f in findings] == ["pass", "pass"]
    assert all(ASSUMED in f["message"] and "vnet-spoke/to-hub" in f["message"] for f in findings)


@pytest.mark.usefixtures("builtin_reader")
@pytest.mark.parametrize(
    ("cut", "status", "exit_code"),
    [
        # the hub's nested leg gone: the spoke's leg waits for it (error)
        ("  // the nested child form\n  resource toSpoke", "error", EXIT_INCOMPLETE),
        # the spoke's parent: leg gone: nothing joins the spoke to the hub (fail)
        (
            "// the parent: form (AVM's virtual-network-peering module)\nresource toHub",
            "fail",
            EXIT_FINDINGS,
        ),
    ],
    ids=["remote-leg-missing", "own-leg-missing"],
)
def test_bicep_one_leg(tmp_path: Path, cut: str, status: str, exit_code: int) -> None:
    text = BICEP.read_text(encoding="utf-8")
    start = text.index(cut)
    depth = 0
    end = start
    for end in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    path = tmp_path / "main.bicep"
    path.write_text(text[:start] + text[end + 1 :], encoding="utf-8")
    code, findings = check("--template", str(path))
    assert code == exit_code
    assert {f["status"] for f in findings} == {status}


# ---- AMLG-250: the AMPLS endpoint in the hub -------------------------------------------------

MONITOR_ZONES = [
    "privatelink.monitor.azure.com",
    "privatelink.oms.opinsights.azure.com",
    "privatelink.ods.opinsights.azure.com",
    "privatelink.agentsvc.azure-automation.net",
    "privatelink.blob.core.windows.net",
]


def _rid(rtype: str, *names: str) -> str:
    quoted = ", ".join(f"'{n}'" for n in (rtype, *names))
    return f"[resourceId({quoted})]"


def with_ampls_in_the_hub(doc: dict[str, Any]) -> dict[str, Any]:
    """The hub-and-spoke template with the workspace's Application Insights scoped by an AMPLS
    whose private endpoint (and its five zones) sits in the hub VNet."""
    doc = copy.deepcopy(doc)
    res = doc["resources"]
    inline_vnet(doc, "vnet-hub")["properties"]["subnets"].append(
        {"name": "snet-pe", "properties": {"addressPrefix": "10.100.2.0/24"}}
    )
    appi = _rid("Microsoft.Insights/components", "appi")
    inline_vnet(doc, "spoke-mlw")["properties"]["applicationInsights"] = appi
    configs = [
        {"name": f"z{i}", "properties": {"privateDnsZoneId": _rid(ZONE, z)}}
        for i, z in enumerate(MONITOR_ZONES)
    ]
    res += [
        {
            "type": "Microsoft.Insights/components",
            "apiVersion": "2020-02-02",
            "name": "appi",
            "location": "westeurope",
            "kind": "web",
            "properties": {
                "Application_Type": "web",
                "publicNetworkAccessForIngestion": "Disabled",
                "publicNetworkAccessForQuery": "Disabled",
            },
        },
        {
            "type": "Microsoft.Insights/privateLinkScopes",
            "apiVersion": "2021-07-01-preview",
            "name": "ampls",
            "location": "global",
            "properties": {},
        },
        {
            "type": "Microsoft.Insights/privateLinkScopes/scopedResources",
            "apiVersion": "2021-07-01-preview",
            "name": "ampls/appi",
            "properties": {"linkedResourceId": appi},
        },
        {
            "type": "Microsoft.Network/privateEndpoints",
            "apiVersion": "2023-09-01",
            "name": "pe-ampls",
            "location": "westeurope",
            "properties": {
                "subnet": {
                    "id": _rid("Microsoft.Network/virtualNetworks/subnets", "vnet-hub", "snet-pe")
                },
                "privateLinkServiceConnections": [
                    {
                        "name": "ampls",
                        "properties": {
                            "privateLinkServiceId": _rid(
                                "Microsoft.Insights/privateLinkScopes", "ampls"
                            ),
                            "groupIds": ["azuremonitor"],
                        },
                    }
                ],
            },
        },
        {
            "type": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
            "apiVersion": "2023-09-01",
            "name": "pe-ampls/default",
            "properties": {"privateDnsZoneConfigs": configs},
        },
        *(
            {"type": ZONE, "apiVersion": "2020-06-01", "name": z, "location": "global"}
            for z in MONITOR_ZONES
        ),
    ]
    return doc


ZONE = "Microsoft.Network/privateDnsZones"


def test_ampls_endpoint_in_the_hub_passes_amlg_250_with_both_legs(tmp_path: Path) -> None:
    doc = with_ampls_in_the_hub(load(CHILD))
    code, findings = check("--template", str(written(tmp_path, doc)), rule="AMLG-250")
    assert code == EXIT_OK
    (finding,) = findings
    assert finding["status"] == "pass"
    assert ASSUMED in finding["message"] and "vnet-spoke/to-hub" in finding["message"]


def test_ampls_endpoint_in_the_hub_without_the_hub_leg_is_error(tmp_path: Path) -> None:
    doc = with_ampls_in_the_hub(without(load(CHILD), "vnet-hub/to-spoke"))
    code, findings = check("--template", str(written(tmp_path, doc)), rule="AMLG-250")
    assert code == EXIT_INCOMPLETE
    (finding,) = findings
    assert finding["status"] == "error"
    assert "vnet-spoke/virtualNetworkPeerings/to-hub" in finding["message"]
    assert "known once the remote VNet's peering back exists" in finding["message"]


# ---- the hub firewall's DNS proxy: its private address is Azure's to give -------------------

FIREWALL_SUBNET = "AzureFirewallSubnet"


def with_hub_firewall(doc: dict[str, Any], dns_server: str) -> dict[str, Any]:
    """The hub-and-spoke template with a DNS-proxy firewall in the hub that the spoke asks
    (at ``dns_server``); a template cannot write the firewall's private address."""
    doc = copy.deepcopy(doc)
    inline_vnet(doc, "vnet-hub")["properties"]["subnets"].append(
        {"name": FIREWALL_SUBNET, "properties": {"addressPrefix": "10.100.0.0/26"}}
    )
    inline_vnet(doc, "vnet-spoke")["properties"]["dhcpOptions"]["dnsServers"] = [dns_server]
    subnet = _rid("Microsoft.Network/virtualNetworks/subnets", "vnet-hub", FIREWALL_SUBNET)
    doc["resources"] += [
        {
            "type": "Microsoft.Network/firewallPolicies",
            "apiVersion": "2023-09-01",
            "name": "afwp-hub",
            "location": "westeurope",
            # servers written: dnsproxy reads an absent list as unreadable (error) today
            "properties": {"dnsSettings": {"enableProxy": True, "servers": []}},
        },
        {
            "type": "Microsoft.Network/azureFirewalls",
            "apiVersion": "2023-09-01",
            "name": "afw-hub",
            "location": "westeurope",
            "properties": {
                "firewallPolicy": {"id": _rid("Microsoft.Network/firewallPolicies", "afwp-hub")},
                "ipConfigurations": [
                    {"name": "ipconfig", "properties": {"subnet": {"id": subnet}}}
                ],
            },
        },
    ]
    return doc


def test_a_spoke_asking_the_hub_firewall_is_error_until_azure_gives_its_address(
    tmp_path: Path,
) -> None:
    doc = with_hub_firewall(load(CHILD), "10.100.0.4")
    code, findings = check("--template", str(written(tmp_path, doc)))
    assert code == EXIT_INCOMPLETE
    assert {f["status"] for f in findings} == {"error"}
    for f in findings:
        assert "the private IP address Azure gives Azure Firewall afw-hub" in f["message"]
        assert "10.100.0.4" in f["message"]
        assert "on the template as written: fail" in f["message"]


def test_a_spoke_asking_an_address_azure_would_not_give_the_firewall_fails(
    tmp_path: Path,
) -> None:
    doc = with_hub_firewall(load(CHILD), "10.100.0.5")
    code, findings = check("--template", str(written(tmp_path, doc)))
    assert code == EXIT_FINDINGS
    assert {f["status"] for f in findings} == {"fail"}


def test_firewall_and_missing_hub_leg_are_named_together(tmp_path: Path) -> None:
    doc = with_hub_firewall(without(load(CHILD), "vnet-hub/to-spoke"), "10.100.0.4")
    code, findings = check("--template", str(written(tmp_path, doc)))
    assert code == EXIT_INCOMPLETE
    for f in findings:
        assert f["status"] == "error"
        assert "vnet-spoke/to-hub" in f["message"] and "afw-hub" in f["message"]


@pytest.mark.usefixtures("builtin_reader")
@pytest.mark.parametrize(("drop_hub_leg", "status"), [(False, "pass"), (True, "error")])
def test_bicep_inline_peerings(tmp_path: Path, drop_hub_leg: bool, status: str) -> None:
    text = (HERE / "hubspoke-inline.bicep").read_text(encoding="utf-8")
    if drop_hub_leg:
        start = text.index("    virtualNetworkPeerings: [")
        text = text[:start] + text[text.index("    ]\n", start) + len("    ]\n") :]
        assert "to-spoke" not in text
    path = tmp_path / "main.bicep"
    path.write_text(text, encoding="utf-8")
    code, findings = check("--template", str(path))
    assert {f["status"] for f in findings} == {status}
    assert code == (EXIT_INCOMPLETE if drop_hub_leg else EXIT_OK)
    assert all("vnet-spoke/to-hub" in f["message"] for f in findings)


def test_a_leg_whose_remote_vnet_is_unknown_before_deployment_is_error_not_fail(
    tmp_path: Path,
) -> None:
    """A spoke leg whose remote VNet id is a value Azure gives only at deployment (a module's
    output, a runtime property) may be the path to the hub: error, never "not peered"."""
    doc = load(CHILD)
    leg = next(r for r in doc["resources"] if r["name"] == "vnet-spoke/to-hub")
    leg["properties"]["remoteVirtualNetwork"]["id"] = (
        "[reference(resourceId('Microsoft.Network/virtualNetworks', 'vnet-hub')).resourceGuid]"
    )
    code, findings = check("--template", str(written(tmp_path, doc)))
    assert code == EXIT_INCOMPLETE
    assert {f["status"] for f in findings} == {"error"}
    assert all("unknown before deployment" in f["message"] for f in findings)
