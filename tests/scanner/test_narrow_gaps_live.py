"""A read that feeds one judgement only makes only that judgement ``error`` (issue 12).

The tenant-wide Virtual WAN hub query, the other DNS-resolution reads, a zone's links and the
query for a hub's projects each feed a few findings: when one fails, those findings are
``error`` naming the query and its cause, the others are judged on what was read, and the
scan stays incomplete (exit 3, never 0). Live through the emulator and the real SDK clients.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.app import exit_code
from amlguard.errors import EXIT_INCOMPLETE
from amlguard.scanner.model import ScanResult, Severity, Status
from amlguard.scanner.sources import narrowgaps
from amlguard.scanner.sources.query import Scope
from tests.builders import blueprint, connectivity, foundry_hub, landing_zone, rid, row
from tests.builders_estates3 import vwan_estate
from tests.emulator import arg
from tests.emulator.live import scan, source
from tests.emulator.server import Emulator, Fault

ARG = r"Microsoft\.ResourceGraph/resources"
SPOKE = "00000000-0000-0000-0000-000000000001"
NETWORK = "00000000-0000-0000-0000-0000000000cc"
#: the tenant-wide hub query's text (not the resources query, which also names these types)
HUB_QUERY = r"in~ \(.microsoft.network/virtualhubs., .microsoft.network/virtualwans.\)"


def _three_designs() -> list[dict[str, Any]]:
    """In one subscription: a spoke reaching its resolver through Virtual WAN, a spoke with
    custom DNS peered to its own connectivity hub (no Virtual WAN), and a blueprint workspace
    on Azure-provided DNS; hubs and zones in a network subscription outside the scan."""
    rows = vwan_estate("two").rows()
    hub = connectivity(NETWORK, rg="rg-connectivity-peered")
    peered = landing_zone(blueprint(SPOKE, rg="ml-peered", prefix="peered"), hub, "resolver")
    plain = blueprint(SPOKE, rg="ml-plain", prefix="plain")
    return rows + peered.rows() + hub.rows() + plain.rows()


def _live(rows: list[dict[str, Any]], *faults: Fault, **kw: Any) -> ScanResult:
    with Emulator(rows) as emu:
        arg.install(emu)
        for fault in faults:
            emu.add_fault(fault)
        return scan(source(emu, **kw))


def _not_passing(result: ScanResult) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for f in result.findings:
        if f.status is not Status.PASS:
            group = f.resource_id.split("/")[4].lower()
            out.setdefault((f.rule_id, group), set()).add(f.status.value)
    return out


def test_a_failed_hub_query_errors_only_the_zones_reached_through_virtual_wan() -> None:
    rows = _three_designs()
    clean = _live(rows, subscriptions=(SPOKE,))
    assert clean.source.complete and _not_passing(clean) == {}, clean.source.gaps
    fault = Fault("POST", ARG, 500, times=100, body_re=HUB_QUERY)
    result = _live(rows, fault, subscriptions=(SPOKE,))
    assert not result.source.complete
    assert exit_code(result, Severity.LOW) == EXIT_INCOMPLETE
    [gap] = result.source.gaps
    assert "virtual WAN hubs query" in gap.reason and "HTTP 500" in gap.reason
    # only the Virtual WAN spoke's zones (in rg-connectivity) are error; the peered spoke's
    # zones (rg-connectivity-peered) and everything else are judged, and pass
    assert _not_passing(result) == {("AMLG-301", "rg-connectivity"): {"error"}}
    errors = [f for f in result.findings if f.status is Status.ERROR]
    assert len(errors) == 7
    assert all("virtual WAN hubs query" in f.message for f in errors)
    judged = {f.key: f.status for f in clean.findings}
    same = [f for f in result.findings if f.status is not Status.ERROR]
    assert len(same) == len(clean.findings) - 7
    assert all(judged[f.key] is f.status for f in same)


def test_a_failed_hub_query_with_no_hub_connected_spoke_touches_no_finding() -> None:
    rows = [r for r in _three_designs() if "/ml-secure-blueprint/" not in r["id"].lower()]
    fault = Fault("POST", ARG, 500, times=100, body_re=HUB_QUERY)
    result = _live(rows, fault, subscriptions=(SPOKE,))
    assert exit_code(result, Severity.LOW) == EXIT_INCOMPLETE
    assert "no finding depends on it" in result.source.gaps[0].reason
    assert result.findings and all(f.status is Status.PASS for f in result.findings)


def test_failed_hub_connection_lists_error_only_those_zones() -> None:
    fault = Fault("GET", "hubVirtualNetworkConnections", 500, times=100)
    result = _live(_three_designs(), fault, subscriptions=(SPOKE,))
    assert exit_code(result, Severity.LOW) == EXIT_INCOMPLETE
    assert _not_passing(result) == {("AMLG-301", "rg-connectivity"): {"error"}}


def test_failed_resolver_query_errors_the_zones_not_the_rest() -> None:
    """The DNS resolvers outside the scan feed zone resolution only."""
    hub = connectivity(NETWORK)
    inst = landing_zone(blueprint(SPOKE), hub, "resolver")
    fault = Fault(
        "POST", ARG, 500, times=100, body_re=r"tostring\(properties\.virtualNetwork\.id\)"
    )
    result = _live(inst.rows() + hub.rows(), fault, subscriptions=(SPOKE,))
    assert exit_code(result, Severity.LOW) == EXIT_INCOMPLETE
    assert any("DNS resolvers query" in g.reason for g in result.source.gaps)
    assert _not_passing(result) == {("AMLG-301", "rg-connectivity"): {"error"}}


def test_unread_zone_links_error_those_zones_only() -> None:
    """Zones outside the scan whose links cannot be read: the findings on them only, while a
    second workspace's zones, in its own resource group, are judged."""
    hub = connectivity(NETWORK)
    inst = landing_zone(blueprint(SPOKE), hub, "ruleset")
    other = blueprint(SPOKE, rg="ml-other", prefix="other")
    fault = Fault("POST", ARG, 500, times=100, body_re=r"virtualNetworkLinks/'")
    result = _live(inst.rows() + hub.rows() + other.rows(), fault, subscriptions=(SPOKE,))
    assert exit_code(result, Severity.LOW) == EXIT_INCOMPLETE
    assert _not_passing(result) == {("AMLG-301", "rg-connectivity"): {"error"}}
    bad = [f for f in result.findings if f.status is not Status.PASS]
    assert len(bad) == 7 and all("private DNS zone links query" in f.message for f in bad)
    assert any(f.rule_id == "AMLG-301" and "/ml-other/" in f.resource_id.lower()
               for f in result.findings)  # fmt: skip


def test_unlisted_projects_error_their_hub_instance_only() -> None:
    """With a resource-group filter, the projects of the scanned workspaces are asked for in
    chunks of 50; when the chunk naming a hub fails, only that hub's instance is error: the
    workspaces of the other chunk are judged as in a scan where nothing failed."""
    rows = blueprint(SPOKE, rg="ml-aab", prefix="plain").rows()
    rows += [
        row(rid(SPOKE, "ml-aaa", "Microsoft.MachineLearningServices/workspaces", f"ws{i:02}"),
            "microsoft.machinelearningservices/workspaces", kind="Default")
        for i in range(49)
    ]  # fmt: skip
    hub = foundry_hub(SPOKE, rg="ml-hub", project_rgs=("ml-projects",))
    rows += hub.rows()
    groups = ("ml-hub", "ml-aaa", "ml-aab")
    clean = _live(rows, resource_groups=groups)
    assert clean.source.complete, clean.source.gaps
    named = re.escape(hub.workspace["id"].lower())
    fault = Fault("POST", ARG, 400, body_re=f"hubResourceId.*{named}", times=50)
    result = _live(rows, fault, resource_groups=groups)
    assert exit_code(result, Severity.LOW) == EXIT_INCOMPLETE
    assert any("projects of hub(s) foundry-" in g.reason for g in result.source.gaps)
    hubbed = [f for f in result.findings if "/ml-hub/" in f.instance.lower()]
    assert hubbed and all(f.status is Status.ERROR for f in hubbed)
    judged = {f.key: f.status for f in clean.findings}
    rest = [f for f in result.findings if "/ml-hub/" not in f.instance.lower()]
    assert len(rest) > 49 and all(judged[f.key] is f.status for f in rest)
    assert any(f.status is Status.PASS for f in rest)


# ---------------------------------------------------------------- helpers take any input

_ID = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/z"


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.text(max_size=60) | st.sampled_from([f"where id in~ ('{_ID.lower()}')", f"'{_ID}/x'"]),
    st.lists(st.text(max_size=20) | st.sampled_from([_ID, _ID.upper(), _ID + "/"]), max_size=4),
)
def test_narrowing_helpers_take_any_text(text: str, resource_ids: list[str]) -> None:
    named = narrowgaps.named_in(("q", text, Scope()), resource_ids)
    assert all(r in resource_ids for r in named)
    gap = narrowgaps.narrowed("the x query failed", resource_ids)
    assert gap.resources and gap.reason.startswith("the x query failed (")
    assert all(r == r.lower() for r in gap.resources) and not gap.scope
