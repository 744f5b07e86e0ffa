"""--fix for issue 13's rules on the emulator, through the real SDK clients: AMLG-111 adds the
queue and table outbound rules, AMLG-204 a dfs private endpoint with its zone group, AMLG-203
disables public access once the endpoint is there; AMLG-110 never plans a write."""

from __future__ import annotations

from amlguard.scanner import ids
from amlguard.scanner.model import Status
from tests.builders import blueprint
from tests.builders_rules_a import (
    approved_only,
    batch_endpoint,
    datastore,
    extra_storage,
    fqdn_rule,
    integrate,
)
from tests.emulator import network
from tests.emulator.server import Emulator
from tests.remediate.conftest import SettledSource, fresh_findings, run_fix

LAG = 600.0  # Resource Graph never catches up: verification reads ARM


def _status(findings: list, rule_id: str) -> set[Status]:
    return {f.status for f in findings if f.rule_id == rule_id}


def test_111_adds_queue_and_table_rules_and_a_rerun_plans_nothing(make_clients) -> None:
    inst = blueprint()
    batch_endpoint(inst)
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        clients = make_clients(emu)
        prepared, report, text = run_fix(emu, clients)
        puts = [w for w in emu.writes() if "/outboundrules/" in w.path.lower()]
        ws = emu.get(inst.workspace["id"]) or {}
        writes = len(emu.writes())
        emu.arg_lag = 0
        emu.load(list(SettledSource(emu).collect(None).rows))  # Resource Graph caught up
        again, _, _ = run_fix(emu, clients)
        assert len(emu.writes()) == writes
    assert report.exit_code == 0, text
    assert {a.remediator for a in prepared.plan.actions} == {"outbound-rule-groups"}
    groups = sorted(w.body["properties"]["destination"]["subresourceTarget"] for w in puts)
    assert groups == ["queue", "table"]
    assert all(
        ids.norm(w.body["properties"]["destination"]["serviceResourceId"])
        == ids.norm(inst.storage["id"])
        for w in puts
    )
    rules = ws["properties"]["managedNetwork"]["outboundRules"]
    assert "allowOpenAi" in rules and len(rules) == 4  # the user's rule is kept
    assert [f for f in report.fixed if f.rule_id == "AMLG-111"]
    assert not again.plan.actions


def test_204_creates_the_dfs_endpoint_with_its_zone_group(make_clients) -> None:
    inst = blueprint()
    inst.storage["properties"]["isHnsEnabled"] = True
    # The dfs zone exists (linked) but no endpoint uses it yet.
    inst.add_endpoint("storage-dfs", inst.storage, "dfs")
    dfs_pe = inst.endpoints.pop("storage-dfs")
    inst.zone_groups.pop("storage-dfs")
    inst.storage["properties"]["privateEndpointConnections"] = [
        c
        for c in inst.storage["properties"]["privateEndpointConnections"]
        if c["properties"]["privateEndpoint"]["id"] != dfs_pe["id"]
    ]
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        prepared, report, text = run_fix(emu, make_clients(emu), only=("AMLG-204",))
        puts = [w for w in emu.writes() if w.method == "PUT"]
    assert report.exit_code == 0, text
    ops = sorted(a.operation for a in prepared.plan.actions)
    assert ops == ["create-dns-zone-group", "create-private-endpoint"]
    pe = next(w for w in puts if w.path.lower().endswith("-pe-dfs"))
    conn = pe.body["properties"]["privateLinkServiceConnections"][0]["properties"]
    assert conn["groupIds"] == ["dfs"] and ids.norm(conn["privateLinkServiceId"]) == ids.norm(
        inst.storage["id"]
    )
    zg = next(w for w in puts if w.path.lower().endswith("/privatednszonegroups/default"))
    zones = [
        c["properties"]["privateDnsZoneId"] for c in zg.body["properties"]["privateDnsZoneConfigs"]
    ]
    assert [z.rsplit("/", 1)[-1] for z in zones] == ["privatelink.dfs.core.windows.net"]
    assert all(report.verified.values())


def test_203_disables_public_access_of_an_integrated_storage_after_its_endpoint(
    make_clients,
) -> None:
    inst = blueprint()
    lake = extra_storage(inst, "blueprintlake", public=True, groups=("blob",))
    integrate(inst, lake)
    datastore(inst, "lake", lake)
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        _, report, text = run_fix(emu, make_clients(emu), only=("AMLG-203",))
        patches = [w for w in emu.writes() if w.method == "PATCH"]
        after = emu.get(lake["id"]) or {}
    assert report.exit_code == 0, text
    assert [ids.norm(p.path) for p in patches] == [ids.norm(lake["id"])]
    assert patches[0].body == {"properties": {"publicNetworkAccess": "Disabled"}}
    assert after["properties"]["publicNetworkAccess"] == "Disabled"


def test_110_never_plans_a_write(make_clients) -> None:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "allow-all", "*")
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        assert _status(fresh_findings(emu), "AMLG-110") == {Status.FAIL}
        prepared, _, _ = run_fix(emu, make_clients(emu), only=("AMLG-110",))
        writes = emu.writes()
    assert not prepared.plan.actions and not writes
    assert [m.rule_id for m in prepared.plan.manual] == ["AMLG-110"]
    assert "outbound-rule list" in prepared.plan.manual[0].command


def test_saved_plans_rebuild_from_arm_and_refuse_a_changed_group(make_clients) -> None:
    """A saved plan's group-id actions are re-derived from ARM and the rule parameters; a
    group the rule does not ask for (or a zone it does not need) is refused."""
    import pytest

    from amlguard.errors import InputError
    from amlguard.remediate.live import LiveView
    from amlguard.remediate.ruleparams import rule_parameters
    from amlguard.remediate.verify import rebuild_plan

    inst = blueprint()
    batch_endpoint(inst)
    inst.storage["properties"]["isHnsEnabled"] = True
    inst.add_endpoint("storage-dfs", inst.storage, "dfs")
    inst.endpoints.pop("storage-dfs")
    inst.zone_groups.pop("storage-dfs")
    inst.storage["properties"]["privateEndpointConnections"] = inst.storage["properties"][
        "privateEndpointConnections"
    ][:2]
    for subnet in inst.vnet["properties"]["subnets"]:  # as ARM returns them: with ids
        subnet["id"] = f"{inst.vnet['id']}/subnets/{subnet['name']}"
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        clients = make_clients(emu)
        prepared, _, _ = run_fix(emu, clients, only=("AMLG-111", "AMLG-204"), dry_run=True)
        plan = prepared.plan
        assert {a.remediator for a in plan.actions} == {
            "outbound-rule-groups",
            "private-endpoint-groups",
        }
        live = LiveView(clients.get, rule_parameters())
        rebuilt = rebuild_plan(plan, live)
        assert [a.body for a in rebuilt.actions] == [a.body for a in plan.actions]
        from dataclasses import replace

        rule = next(a for a in plan.actions if a.operation == "create-outbound-rule")
        body = {"properties": {**rule.body["properties"]}}
        body["properties"]["destination"] = {
            **body["properties"]["destination"],
            "subresourceTarget": "blob",
        }
        tampered = replace(plan, actions=[replace(rule, body=body)])
        with pytest.raises(InputError):
            rebuild_plan(tampered, LiveView(clients.get, rule_parameters()))
        pe = next(a for a in plan.actions if a.operation == "create-private-endpoint")
        tampered = replace(plan, actions=[replace(pe, params={**pe.params, "group": "web"})])
        with pytest.raises(InputError):
            rebuild_plan(tampered, LiveView(clients.get, rule_parameters()))


def test_203_storage_only_a_datastore_names_gets_a_manual_step(make_clients) -> None:
    inst = blueprint()
    lake = extra_storage(inst, "blueprintlake", public=True, groups=("blob",))
    datastore(inst, "lake", lake)  # no outbound rule or connection names it
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        prepared, _, _ = run_fix(emu, make_clients(emu), only=("AMLG-203",))
        writes = emu.writes()
    assert not prepared.plan.actions and not writes
    (step,) = prepared.plan.manual
    assert step.rule_id == "AMLG-203" and "only by a datastore" in step.reason
    assert "--public-network-access Disabled" in step.command


def test_204_storage_only_a_datastore_names_gets_a_manual_step(make_clients) -> None:
    inst = blueprint()
    lake = extra_storage(inst, "blueprintlake", groups=("blob",), hns=True)
    datastore(inst, "lake", lake)
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        prepared, _, _ = run_fix(emu, make_clients(emu), only=("AMLG-204",))
        writes = emu.writes()
    assert not prepared.plan.actions and not writes
    (step,) = prepared.plan.manual
    assert step.rule_id == "AMLG-204" and "--group-id dfs" in step.command
