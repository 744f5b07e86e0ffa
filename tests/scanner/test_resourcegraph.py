"""The live source against the emulator: parity with snapshots, paging, batching, scope."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from amlguard.scanner.sources import kql
from amlguard.scanner.sources.snapshot import SnapshotSource, read_snapshot
from tests.builders import blueprint, management_group_scope, role_assignment, unrelated
from tests.conftest import EXAMPLES
from tests.emulator import arg
from tests.emulator.live import findings, scan, source
from tests.emulator.server import Emulator
from tests.make_examples import SUB_A, SUB_B
from tests.scanner.harness import one

ARG_PATH = "Microsoft.ResourceGraph/resources"


def _queries(emu: Emulator, table: str = "") -> list[dict]:
    return [r.body for r in emu.requests("POST", ARG_PATH) if r.body["query"].startswith(table)]


def _storage_queries(emu: Emulator) -> list[dict]:
    """The pages of the resources query that carries the associated resources' types."""
    return [
        q for q in _queries(emu, "resources |") if "microsoft.storage/storageaccounts" in q["query"]
    ]


@pytest.mark.parametrize("estate", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_live_findings_equal_snapshot_findings(estate: str) -> None:
    path = EXAMPLES / estate
    rows, _ = read_snapshot(path)
    with Emulator(rows) as emu:
        arg.install(emu)
        live = scan(source(emu))
    offline = scan(SnapshotSource([path]))
    assert live.source.complete, live.source.gaps
    assert findings(live) == findings(offline)
    assert live.source.kind == "resource-graph"


def test_zone_groups_come_from_arm_gets_for_instance_endpoints_only() -> None:
    inst = blueprint()
    stray = unrelated(inst.sub, "elsewhere", 3)
    with Emulator(inst.rows() + stray) as emu:
        arg.install(emu)
        result = scan(source(emu))
        gets = emu.requests("GET", "privateDnsZoneGroups")
    # ARG has no table for zone groups: the query never names the type ...
    assert all("privatednszonegroups" not in q["query"] for q in _queries(emu))
    # Workspaces and endpoints are queried first, so the GETs overlap the remaining pages.
    first = _queries(emu, "resources |")[0]["query"]
    assert "privateendpoints" in first and "storageaccounts" not in first
    # ... one GET per private endpoint of the instance, and they reach the inventory.
    assert len(gets) == len(inst.endpoints)
    # (plus one list each of the workspace's connections and datastores: integration
    # discovery reads them; its computes only when the opt-in AMLG-114 runs, not here)
    assert result.source.stats["arm_gets"] == len(inst.endpoints) + 2
    assert result.source.complete


def test_paging_follows_skip_token_over_several_pages() -> None:
    inst = blueprint()
    # 2,500 storage accounts of the needed type: 3 pages of 1,000 rows.
    filler = [r for r in unrelated(inst.sub, "bulk", 12_500) if "storageaccounts" in r["type"]]
    with Emulator(inst.rows() + filler) as emu:
        arg.install(emu)
        result = scan(source(emu))
    resource_pages = _storage_queries(emu)
    assert len(resource_pages) == 3
    assert [bool(q["options"].get("$skipToken")) for q in resource_pages] == [False, True, True]
    assert all(q["options"]["$top"] == 1000 for q in resource_pages)
    # + subscriptions, role assignments, role definitions, and workspaces/endpoints (first)
    assert result.source.stats["pages"] == 3 + 4
    assert result.source.complete


def test_2500_subscriptions_go_out_as_three_batches() -> None:
    inst = blueprint()  # its subscription is UUID(int=1), one of the 2,500
    subs = {str(uuid.UUID(int=i + 1)) for i in range(2500)}
    with Emulator(inst.rows()) as emu:
        graph = arg.install(emu, subscriptions=subs)
        result = scan(source(emu))
    sizes = sorted((len(q["subscriptions"]) for q in _storage_queries(emu)), reverse=True)
    assert sizes == [1000, 1000, 500]
    assert result.source.stats["subscriptions"] == 2500
    assert graph.throttled == 0
    assert result.source.complete


def test_batch_size_is_configurable() -> None:
    with Emulator(blueprint(SUB_A).rows() + blueprint(SUB_B, prefix="b").rows()) as emu:
        arg.install(emu)
        result = scan(source(emu, batch_size=1))
    assert sorted(len(q["subscriptions"]) for q in _storage_queries(emu)) == [1, 1]
    assert result.source.complete


def test_management_group_scope_sends_the_group_and_reads_only_its_subscriptions() -> None:
    rows, _ = read_snapshot(EXAMPLES / "multi-workspace.json")
    with Emulator(rows) as emu:
        arg.install(emu, management_groups={"mg-prod": [SUB_A]})
        result = scan(source(emu, management_groups=("mg-prod",)))
    assert {
        q.get("managementGroups") and tuple(q["managementGroups"])
        for q in _queries(emu, "resources |")
    } == {("mg-prod",)}
    instance_subs = {i.id.split("/")[2] for i in result.instances}
    assert instance_subs == {SUB_A}
    assert result.source.complete


def test_explicit_subscriptions_and_resource_group_narrow_the_query() -> None:
    prod = blueprint(SUB_A, "ml-prod", "mlprod")
    other = blueprint(SUB_A, "ml-other", "mlother")
    with Emulator(prod.rows() + other.rows()) as emu:
        arg.install(emu)
        result = scan(source(emu, subscriptions=(SUB_A,), resource_groups=("ml-prod",)))
    assert [i.name for i in result.instances] == ["mlprod-mlw"]
    assert "where resourceGroup =~ 'ml-prod'" in _queries(emu, "resources |")[0]["query"]


def test_referenced_resources_outside_the_first_query_are_fetched_by_id() -> None:
    inst = blueprint(SUB_A)
    search_id = f"/subscriptions/{SUB_B}/resourceGroups/shared/providers/Microsoft.Search/searchServices/srch"
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowSearch"] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "status": "Active",
        "destination": {"serviceResourceId": search_id, "subresourceTarget": "searchService"},
    }
    search = {"id": search_id, "type": "microsoft.search/searchservices", "properties": {}}
    with Emulator([*inst.rows(), search]) as emu:
        arg.install(emu)
        result = scan(source(emu, subscriptions=(SUB_A,)))
    by_id = [q for q in _queries(emu) if "where id in~" in q["query"]]
    assert len(by_id) == 1 and by_id[0]["subscriptions"] == [SUB_B]
    assert search_id in result.instances[0].integrated
    assert result.source.complete


def test_queries_stay_inside_the_emulated_kql_subset() -> None:
    # The emulator parses what kql.py emits; this guards the pairing in both directions.
    for text in (
        kql.resources(["microsoft.storage/storageaccounts"], ["rg'1"]),
        kql.resources(["microsoft.storage/storageaccounts"], ["a", "b"]),
        kql.resources_by_id(["/subscriptions/x/resourceGroups/r/providers/A.B/c/d"]),
        kql.zone_links(["/subscriptions/x/resourceGroups/r/providers/M/privateDnsZones/a.b", "z"]),
        kql.role_assignments(["b556d68e-0be0-4f35-a333-ad7ee1ce17ea", "other"]),
        kql.role_assignments([]),
        kql.subscriptions(),
    ):
        assert arg.parse(text).columns is not None
    with pytest.raises(arg.QueryError):
        arg.parse("resources | summarize count() by type")


def test_snapshot_header_records_scope_time_version_and_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from amlguard.app import run_snapshot
    from amlguard.settings import CheckSettings
    from amlguard.settingtypes import Connection
    from tests.emulator import denyassignments

    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl")
    with Emulator(blueprint().rows()) as emu:
        arg.install(emu)
        denyassignments.install(emu)  # the snapshot reads them from ARM, as the check does
        here = Connection(arm_endpoint=emu.url, ca_bundle=emu.ca_path)
        settings = replace(CheckSettings(), connection=here)
        outcome = run_snapshot(settings, tmp_path / "estate.json.gz", source=source(emu))
        assert emu.requests("GET", contains="denyAssignments")
    assert outcome.exit_code == 0
    rows, header = read_snapshot(tmp_path / "estate.json.gz")
    assert len(rows) == outcome.rows
    assert header["scope"]["default"] is True and header["tool_version"]
    assert header["cloud"] == "AzureCloud"
    assert (
        header["gaps"] == [] and header["stats"]["resource_graph_requests"] == 5
    )  # + role definitions
    assert json.dumps(header).count("Bearer") == 0
    assert header["read_for"]["deny_assignments"] is True


def _spoke_with_hub_zones() -> tuple[list[dict], dict[str, dict]]:
    """A spoke in SUB_A whose private DNS zones live in a hub in SUB_B (a connectivity
    subscription, as Azure landing zones lay them out)."""
    hub: dict[str, dict] = {}
    spoke = blueprint(SUB_A, "ml-spoke", "spoke")
    spoke.use_hub_zones(hub, SUB_B, "rg-hub-dns")
    return spoke.rows() + list(hub.values()), hub


@pytest.mark.parametrize(
    "scope",
    [{"subscriptions": (SUB_A,)}, {"subscriptions": (SUB_A,), "resource_groups": ("ml-spoke",)}],
)
def test_hub_zones_outside_the_scan_are_read_with_their_links(scope: dict) -> None:
    rows, hub = _spoke_with_hub_zones()
    with Emulator(rows) as emu:
        arg.install(emu)
        result = scan(source(emu, **scope))
    zones = [f for f in result.findings if f.rule_id == "AMLG-301"]
    assert {f.resource_id for f in zones} == {z["id"] for z in hub.values()}
    assert {f.status.value for f in zones} == {"pass"}, [f.message for f in zones]
    assert result.source.complete, result.source.gaps
    link_queries = [q for q in _queries(emu) if "virtualnetworklinks" in q["query"]]
    assert any(q["subscriptions"] == [SUB_B] for q in link_queries)


def test_hub_zones_in_an_unreadable_subscription_leave_a_gap() -> None:
    rows, _ = _spoke_with_hub_zones()
    with Emulator(rows) as emu:
        arg.install(emu, forbidden={SUB_B})
        result = scan(source(emu, subscriptions=(SUB_A,)))
    zones = [f for f in result.findings if f.rule_id == "AMLG-301"]
    assert zones and {f.status.value for f in zones} == {"error"}
    assert any(g.scope == SUB_B for g in result.source.gaps)


@pytest.mark.parametrize("by", ["subscription", "management group"])
def test_approver_role_held_at_a_management_group_is_read_and_covers(by: str) -> None:
    inst = blueprint(SUB_A)
    inst.role_assignments = [role_assignment(management_group_scope("ml-prod"), inst.principal_id)]
    with Emulator(inst.rows()) as emu:
        graph = arg.install(emu, management_groups={"ml-prod": [SUB_A]})
        scope = (
            {"subscriptions": (SUB_A,)}
            if by == "subscription"
            else {"management_groups": ("ml-prod",)}
        )
        result = scan(source(emu, **scope))
    assert one(result.findings, "AMLG-106").status.value == "pass"
    assert result.source.complete, result.source.gaps
    # Resource Graph returns assignments above a subscription only when asked to.
    sent = [q for q in _queries(emu, "authorizationresources")]
    assert sent and all(
        q["options"]["authorizationScopeFilter"] == "AtScopeAboveAndBelow" for q in sent
    )
    assert graph.groups_above(SUB_A) == ["ml-prod", graph.root_group]


def test_approver_role_at_an_unrelated_management_group_does_not_cover() -> None:
    inst = blueprint(SUB_A)
    inst.role_assignments = [role_assignment(management_group_scope("sandbox"), inst.principal_id)]
    with Emulator(inst.rows()) as emu:
        arg.install(emu, management_groups={"ml-prod": [SUB_A], "sandbox": [SUB_B]})
        result = scan(source(emu, subscriptions=(SUB_A,)))
    assert one(result.findings, "AMLG-106").status.value == "fail"


def test_a_grant_where_a_referenced_resource_lives_outside_the_scan_is_read() -> None:
    mine, theirs = blueprint(SUB_A, "ml-a", "mla"), blueprint(SUB_B, "ml-b", "mlb")
    mine.use_shared("registry", theirs)  # the registry sits in SUB_B, outside the scan
    grant = role_assignment(f"/subscriptions/{SUB_B}/resourceGroups/ml-b", mine.principal_id)
    rows = [*mine.rows(), theirs.registry, grant]
    with Emulator(rows) as emu:
        arg.install(emu)
        result = scan(source(emu, subscriptions=(SUB_A,)))
    f = one(result.findings, "AMLG-106")
    assert f.status.value == "pass", f.message
    sent = [q for q in _queries(emu, "authorizationresources") if q["subscriptions"] == [SUB_B]]
    assert sent  # asked where the registry lives, not only in the scanned subscription


def test_an_unreadable_subscription_holding_a_referenced_resource_is_a_gap() -> None:
    mine, theirs = blueprint(SUB_A, "ml-a", "mla"), blueprint(SUB_B, "ml-b", "mlb")
    mine.use_shared("registry", theirs)
    with Emulator([*mine.rows(), theirs.registry]) as emu:
        arg.install(emu, forbidden={SUB_B})
        result = scan(source(emu, subscriptions=(SUB_A,)))
    assert any(g.scope == SUB_B for g in result.source.gaps)
    assert one(result.findings, "AMLG-106").status.value == "error"


def test_a_management_group_scan_knows_its_subscriptions_are_inside() -> None:
    inst = blueprint(SUB_A)
    rows = [r for r in inst.rows() if r["id"] != inst.registry["id"]]  # the registry was deleted
    with Emulator(rows) as emu:
        arg.install(emu, management_groups={"mg-prod": [SUB_A]})
        result = scan(source(emu, management_groups=("mg-prod",)))
    # Not "outside the scan": no gap, and only what the missing registry touches is error.
    assert result.source.complete, result.source.gaps
    assert one(result.findings, "AMLG-101").status.value == "pass"
    assert one(result.findings, "AMLG-108").status.value == "error"
