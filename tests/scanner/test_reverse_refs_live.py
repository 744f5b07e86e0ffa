"""A scope filter never drops what points *at* a scanned resource (red team session 5, 2 and 3).

``--resource-group`` narrows the resources query, but a hub's projects in other resource groups
(a project names its hub, not the reverse), the private endpoints of its members and the NICs in
its solution VNet that live elsewhere are read by reverse queries: a filtered scan judges them
as the full scan does, and one that cannot read them is incomplete (exit 3), naming what it
looked for. Live through the emulator and the real SDK clients.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.scanner.model import ScanResult, Status
from amlguard.scanner.sources import reverse
from tests.conftest import EXAMPLES
from tests.emulator import arg
from tests.emulator.live import scan, source
from tests.emulator.server import Emulator, Fault

ARG = r"Microsoft\.ResourceGraph/resources"
SUB = "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
HUB_RG = "ai-foundry-hub"
BLUEPRINT_RG = "ml-secure-blueprint"


def _rows(name: str) -> list[dict[str, Any]]:
    return list(json.loads((EXAMPLES / name).read_text())["data"])


def _ai_services_in_project_rg() -> dict[str, Any]:
    """An AI Services account with public access, no endpoint, in the project's resource group:
    the integration selector picks it through the project (the hub's instance must judge it)."""
    rid = f"/subscriptions/{SUB}/resourceGroups/ai-projects/providers/Microsoft.CognitiveServices/accounts/foundry-dev-ais"
    return {
        "id": rid,
        "name": "foundry-dev-ais",
        "type": "microsoft.cognitiveservices/accounts",
        "kind": "AIServices",
        "location": "swedencentral",
        "resourceGroup": "ai-projects",
        "subscriptionId": SUB,
        "properties": {"publicNetworkAccess": "Enabled"},
        "tags": {},
    }


def _hub_estate() -> list[dict[str, Any]]:
    return [*_rows("foundry-hub.json"), _ai_services_in_project_rg()]


def _failing(result: ScanResult) -> list[tuple[str, str, str]]:
    return sorted(
        (f.rule_id, f.resource_id.lower(), f.status.value)
        for f in result.findings
        if f.status in (Status.FAIL, Status.ERROR)
    )


def _scan(
    rows: list[dict[str, Any]], groups: tuple[str, ...], faults: tuple[Fault, ...] = ()
) -> tuple[ScanResult, list[str]]:
    with Emulator(rows) as emu:
        arg.install(emu)
        for fault in faults:
            emu.add_fault(fault)
        result = scan(source(emu, resource_groups=groups))
        queries = [r.body["query"] for r in emu.requests("POST", "Microsoft.ResourceGraph")]
    return result, queries


def _statuses(result: ScanResult, rule: str) -> set[Status]:
    return {f.status for f in result.findings if f.rule_id == rule}


# ---------------------------------------------------------------- 2: a hub's projects


def test_projects_in_other_groups_are_judged_as_the_full_scan_judges_them() -> None:
    rows = _hub_estate()
    full, _ = _scan(rows, ())
    filtered, queries = _scan(rows, (HUB_RG,))
    assert filtered.source.complete, filtered.source.gaps
    assert _failing(filtered) == _failing(full)
    # the AI account the project's resource group holds is judged (it was silently dropped)
    assert any("foundry-dev-ais" in f[1] for f in _failing(filtered))
    hub = next(i for i in filtered.instances if i.kind.lower() == "hub")
    assert {p["name"] for p in hub.projects} == {"foundry-dev-proj1", "foundry-dev-proj2"}
    assert any("hubResourceId" in q and "kind =~ 'Project'" in q for q in queries)


def test_a_hub_id_spelled_differently_by_its_project_still_finds_it() -> None:
    rows = _hub_estate()
    for r in rows:
        if r["name"] == "foundry-dev-proj2":
            r["properties"]["hubResourceId"] = r["properties"]["hubResourceId"].upper() + "/"
    filtered, _ = _scan(rows, (HUB_RG,))
    hub = next(i for i in filtered.instances if i.kind.lower() == "hub")
    assert "foundry-dev-proj2" in {p["name"] for p in hub.projects}


def test_projects_that_cannot_be_listed_make_the_scan_incomplete_naming_the_hub() -> None:
    fault = Fault("POST", ARG, 400, body_re="hubResourceId", times=50)
    filtered, _ = _scan(_hub_estate(), (HUB_RG,), (fault,))
    assert not filtered.source.complete
    assert any("foundry-dev-mlw" in g.reason for g in filtered.source.gaps), filtered.source.gaps
    assert all(f.status is not Status.PASS for f in filtered.findings if SUB in f.resource_id)


def test_a_project_rule_does_not_query_without_a_filter() -> None:
    """The full scan read every project already: no reverse query is sent."""
    _, queries = _scan(_hub_estate(), ())
    assert not any("hubResourceId" in q for q in queries)


# ---------------------------------------------------------------- 3: NICs and endpoints


def _blueprint_with(moves: dict[str, str]) -> list[dict[str, Any]]:
    """drifted.json with the named resources (and what lies under them) moved to other
    resource groups: name -> resource group."""
    rows = copy.deepcopy(_rows("drifted.json"))
    text = json.dumps(rows)
    for row in rows:
        if row["name"] in moves and row["resourceGroup"] == BLUEPRINT_RG:
            old = row["id"]
            new = old.replace(
                f"/resourceGroups/{BLUEPRINT_RG}/", f"/resourceGroups/{moves[row['name']]}/"
            )
            text = text.replace(old, new)
    moved = json.loads(text)
    for row in moved:
        row["resourceGroup"] = row["id"].split("/")[4]
    return moved


def test_a_nic_with_a_public_ip_in_another_group_fails_amlg_302() -> None:
    rows = _blueprint_with({"blueprint-dev-jumphost-nic": "rg-vms"})
    full, _ = _scan(rows, ())
    filtered, queries = _scan(rows, (BLUEPRINT_RG,))
    assert _statuses(full, "AMLG-302") == {Status.FAIL}
    assert filtered.source.complete, filtered.source.gaps
    assert _statuses(filtered, "AMLG-302") == {Status.FAIL}
    assert _failing(filtered) == _failing(full)
    assert any("ipConfigurations" in q and "/subnets/" in q for q in queries)


def test_nics_that_cannot_be_read_are_an_error_never_a_pass() -> None:
    rows = _blueprint_with({"blueprint-dev-jumphost-nic": "rg-vms"})
    fault = Fault("POST", ARG, 400, body_re="ipConfigurations", times=50)
    filtered, _ = _scan(rows, (BLUEPRINT_RG,), (fault,))
    assert not filtered.source.complete
    assert _statuses(filtered, "AMLG-302") == {Status.ERROR}
    assert any("blueprint-dev-vnet" in g.reason for g in filtered.source.gaps)


def test_endpoints_in_another_group_are_read_with_their_zone_groups() -> None:
    """The registry's and the storage's private endpoints sit in a network resource group."""
    moves = {"blueprint-dev-pe-storage-blob": "rg-net", "blueprint-dev-pe-registry": "rg-net"}
    rows = _blueprint_with(moves)
    full, _ = _scan(rows, ())
    filtered, _ = _scan(rows, (BLUEPRINT_RG,))
    assert filtered.source.complete, filtered.source.gaps
    assert _failing(filtered) == _failing(full)


def test_a_solution_vnet_elsewhere_brings_its_nics() -> None:
    """The VNet (with its subnets, endpoints' subnet ids) and the NIC live in rg-net."""
    rows = _blueprint_with({"blueprint-dev-vnet": "rg-net", "blueprint-dev-jumphost-nic": "rg-net"})
    full, _ = _scan(rows, ())
    filtered, _ = _scan(rows, (BLUEPRINT_RG,))
    assert _statuses(full, "AMLG-302") == {Status.FAIL}
    assert _statuses(filtered, "AMLG-302") == {Status.FAIL}


# ---------------------------------------------------------------- helpers take any rows

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
_row = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["", "/subscriptions/s/resourceGroups/g/providers/a/b/c", "x"]),
        "type": st.sampled_from(
            ["microsoft.machinelearningservices/workspaces", "microsoft.network/networkinterfaces",
             "microsoft.network/privateendpoints", "x"]
        ),
        "kind": st.sampled_from(["Project", "project ", "Hub", None, 3]),
        "properties": _json,
    }
)  # fmt: skip


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.lists(_row, max_size=6))
def test_reverse_helpers_take_any_rows(rows: list[dict[str, Any]]) -> None:
    hub_ids = reverse.hubs(rows)
    assert all(isinstance(h, str) and h for h in hub_ids)
    for r in reverse.projects_of(rows, hub_ids, []):
        assert r["type"] == "microsoft.machinelearningservices/workspaces"
    for r in rows:
        assert all(isinstance(v, str) for v in reverse.nic_vnets(r))
        assert all(isinstance(t, str) for t in reverse.endpoint_targets(r))
    assert all(isinstance(p, str) for p in reverse.public_ips(rows))


@pytest.mark.parametrize("hub", ["/subscriptions/S/resourceGroups/G/providers/X/workspaces/hub",
                                 "/SUBSCRIPTIONS/s/resourcegroups/g/providers/x/workspaces/HUB/"])  # fmt: skip
def test_projects_of_compares_hub_ids_case_insensitively(hub: str) -> None:
    project = {
        "id": "/subscriptions/s/resourceGroups/p/providers/x/workspaces/proj",
        "type": "microsoft.machinelearningservices/workspaces",
        "kind": "Project",
        "properties": {"hubResourceId": hub},
    }
    other = {**project, "id": project["id"] + "2", "properties": {"hubResourceId": hub + "x"}}
    got = reverse.projects_of(
        [project, other], ["/subscriptions/s/resourceGroups/g/providers/x/workspaces/hub"], []
    )
    assert [r["id"] for r in got] == [project["id"]]


# ---------------------------------------------------------------- snapshots taken with -g


def _cli_live(emu: Emulator) -> list[str]:
    return ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]


def test_a_filtered_snapshot_holds_the_projects_and_says_it_followed_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
    out = tmp_path / "hub.json"
    runner = CliRunner()
    with Emulator(_hub_estate()) as emu:
        arg.install(emu)
        made = runner.invoke(cli, ["snapshot", "-o", str(out), "-g", HUB_RG, *_cli_live(emu)])
        live = runner.invoke(cli, ["check", "--format", "json", *_cli_live(emu)])
    assert made.exit_code == 0, made.output
    doc = json.loads(out.read_text())
    header = doc["amlguard_snapshot"]
    assert header["scope"]["resource_groups"] == [HUB_RG]
    assert "hub projects" in header["reverse_references"]
    assert any(r["name"] == "foundry-dev-proj2" for r in doc["data"])
    again = runner.invoke(cli, ["check", "--format", "json", "--snapshot", str(out)])
    assert again.exit_code == live.exit_code == 1, again.output
    assert json.loads(again.stdout)["findings"] == json.loads(live.stdout)["findings"]


@pytest.mark.parametrize("groups", [[HUB_RG], ["a\x1b[31mred", "b"]])
def test_an_older_filtered_snapshot_is_incomplete(tmp_path: Path, groups: list[str]) -> None:
    """Written before reverse references were followed: it may lack a project; exit 3."""
    header = {"source": "resource-graph", "scope": {"resource_groups": groups}, "gaps": []}
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"amlguard_snapshot": header, "data": _hub_estate()}))
    got = CliRunner().invoke(cli, ["check", "--snapshot", str(path), "--format", "json"])
    assert got.exit_code == 3, got.output
    gaps = json.loads(got.stdout)["source"]["gaps"]
    assert any("resource-group filter" in g["reason"] for g in gaps)
    assert "\x1b" not in got.stdout


def test_an_unfiltered_snapshot_needs_no_reverse_record(tmp_path: Path) -> None:
    header = {"source": "resource-graph", "scope": {"resource_groups": []}, "gaps": []}
    path = tmp_path / "full.json"
    path.write_text(json.dumps({"amlguard_snapshot": header, "data": _hub_estate()}))
    got = CliRunner().invoke(cli, ["check", "--snapshot", str(path)])
    assert got.exit_code == 1, got.output


def test_a_private_link_scope_in_another_group_is_read_with_its_endpoint() -> None:
    """AMLG-250 (opt-in): the App Insights component is scoped by an AMPLS (and reached
    through its endpoint) in a monitoring resource group."""
    from amlguard.scanner.scan import run_scan
    from tests.builders import blueprint
    from tests.builders_integrations import add_ampls
    from tests.emulator.live import pack

    inst = blueprint(sub=SUB)
    scope = add_ampls(inst)
    rows = inst.rows()
    pe = next(r for r in rows if r["name"].endswith("-pe-ampls") and "privateEndpoints" in r["id"])
    text = json.dumps(rows)
    for old in (scope["id"], pe["id"]):
        text = text.replace(
            old, old.replace(f"/resourceGroups/{inst.rg}/", "/resourceGroups/rg-monitor/")
        )
    moved = json.loads(text)
    for r in moved:
        r["resourceGroup"] = r["id"].split("/")[4]
    rules = [r for r in pack().rules if r.id == "AMLG-250"]

    def judged(groups: tuple[str, ...]) -> tuple[set[Status], bool]:
        with Emulator(moved) as emu:
            arg.install(emu)
            result = run_scan(source(emu, resource_groups=groups), pack(), rules)
        return {f.status for f in result.findings}, result.source.complete

    assert judged(()) == ({Status.PASS}, True)
    assert judged((inst.rg,)) == ({Status.PASS}, True)
