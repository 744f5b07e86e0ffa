"""The engine: statuses, gaps, ordering, parameters and how findings are worded."""

from __future__ import annotations

import json

from amlguard.scanner.engine import Engine, EngineOptions
from amlguard.scanner.instances import build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Gap, Status
from amlguard.scanner.rules import load_rule_text
from tests.builders import blueprint
from tests.scanner.harness import not_passing, of_rule, one, opt_in, pack, scan


def run(
    rows: list[dict], options: EngineOptions | None = None, rule_ids: tuple[str, ...] = ()
) -> list:
    inv = Inventory(rows)
    rules = [r for r in pack().rules if (r.id in rule_ids if rule_ids else not opt_in(r))]
    return Engine(inv, rules, options or EngineOptions()).run(build_instances(inv))


def test_a_gap_turns_every_verdict_into_error() -> None:
    inst = blueprint()
    findings = run(inst.rows(), EngineOptions(gaps=(Gap("throttled by Resource Graph"),)))
    assert {f.status for f in findings} == {Status.ERROR}
    assert all("scan incomplete" in f.message and "throttled" in f.message for f in findings)
    assert "(on the data read: pass)" in findings[0].message


def test_a_gap_in_another_subscription_changes_nothing() -> None:
    inst = blueprint()
    gap = Gap("no access", scope="99999999-0000-0000-0000-000000000000")
    assert {f.status for f in run(inst.rows(), EngineOptions(gaps=(gap,)))} == {Status.PASS}
    own = Gap("no access", scope=inst.sub.upper())
    assert {f.status for f in run(inst.rows(), EngineOptions(gaps=(own,)))} == {Status.ERROR}


def test_findings_are_ordered_by_instance_rule_and_resource() -> None:
    a, b = blueprint(prefix="b", rg="rg-b"), blueprint(prefix="a", rg="rg-a")
    findings = scan(a.rows() + b.rows())
    instances = [f.instance for f in findings]
    assert instances == sorted(instances, key=str.lower)
    first = [f for f in findings if f.instance == b.workspace["id"]]
    assert [f.rule_id for f in first] == sorted(f.rule_id for f in first)
    zones = [f.resource_id.lower() for f in of_rule(first, "AMLG-301")]
    assert zones == sorted(zones)


def test_remediation_only_on_failures_and_filled_in() -> None:
    inst = blueprint()
    inst.workspace["properties"]["publicNetworkAccess"] = "Enabled"
    findings = scan(inst.rows())
    f = one(findings, "AMLG-101")
    assert (
        f"--name blueprint-mlw --resource-group ml-secure-blueprint --subscription {inst.sub}"
        in f.remediation.replace("\n", " ")
    )
    assert "{" not in f.remediation
    assert all(not g.remediation for g in findings if g.status is Status.PASS)


def test_message_placeholders_and_unknown_ones() -> None:
    text = """apiVersion: amlguard/v1
kind: Rules
rules:
  - id: CUSTOM-1
    name: c
    severity: low
    title: T
    description: D
    target: {select: associated, roles: [keyVault]}
    condition: {field: properties.enableRbacAuthorization, equals: true}
    message: "{name} in {resourceGroup}/{subscriptionId} of {workspace}: {path}={actual}, want {expected}; {nope}"
    remediation: {summary: "fix {name} ({type})"}
"""
    (rule,) = load_rule_text(text, "c.yaml")
    inst = blueprint()
    inv = Inventory(inst.rows())
    (f,) = Engine(inv, [rule], EngineOptions()).run(build_instances(inv))
    assert f.status is Status.FAIL
    assert f.message == (
        f"blueprint-kv in ml-secure-blueprint/{inst.sub} of blueprint-mlw: "
        "properties.enableRbacAuthorization=absent, want true; {nope}"
    )
    assert f.remediation == "fix blueprint-kv (microsoft.keyvault/vaults)"
    assert f.expected == "true" and f.actual == "absent"


def test_parameters_merge_over_defaults() -> None:
    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"]["isolationMode"] = "Disabled"
    options = EngineOptions(parameters={"AMLG-102": {"allowed_modes": ["Disabled"]}})
    (f,) = run(inst.rows(), options, ("AMLG-102",))
    assert f.status is Status.PASS
    # Other rules keep their defaults.
    inst.role_assignments = []
    (g,) = run(inst.rows(), options, ("AMLG-106",))
    assert g.status is Status.FAIL


def test_offenders_are_kept_in_details() -> None:
    inst = blueprint()
    inst.role_assignments = []
    f = one(scan(inst.rows()), "AMLG-106")
    assert list(f.offenders) == f.actual
    assert f.to_dict()["actual"] == f.actual


def test_unknown_cloud_cannot_judge_dns_zones() -> None:
    # Regression: privateDnsZones() returned [] for a cloud missing from private_link.yaml,
    # and "containsAll: []" passed every zone check (fail-open).
    findings = scan(blueprint().rows(), cloud="AzureGermanCloud")
    assert not_passing(findings) == {
        rule: {"error"} for rule in ("AMLG-109", "AMLG-202", "AMLG-212", "AMLG-223", "AMLG-233")
    }
    f = one(findings, "AMLG-109")
    assert "no private DNS zone is known for group id 'amlworkspace'" in f.message
    assert "AzureGermanCloud" in f.message


def test_sovereign_cloud_wants_its_own_zones() -> None:
    findings = scan(blueprint().rows(), cloud="AzureUSGovernment")
    # The blueprint's zones are the public cloud's: every zone check fails, nothing errors.
    assert not_passing(findings) == {
        rule: {"fail"} for rule in ("AMLG-109", "AMLG-202", "AMLG-212", "AMLG-223", "AMLG-233")
    }


def test_parameters_keyed_by_rule_id_in_any_case() -> None:
    options = EngineOptions(
        parameters={"amlg-102": {"allowed_modes": ["AllowOnlyApprovedOutbound"]}}
    )
    (f,) = run(blueprint().rows(), options, ("AMLG-102",))
    assert f.status is Status.FAIL


_TWO_RULES = """apiVersion: amlguard/v1
kind: Rules
rules:
  - id: CUSTOM-1
    name: stops-mid-count
    severity: low
    title: A count whose condition cannot be judged half-way
    description: D
    target: workspace
    condition:
      count:
        field: properties.managedNetwork.outboundRules[*]
        where:
          count:
            value: [a, b]
            name: item
            where: {value: "[privateDnsZones('nosuchgroup')]", contains: "[current('item')]"}
          equals: 0
      equals: 0
    message: m
    remediation: {summary: s}
  - id: CUSTOM-2
    name: same-target-as-1
    severity: low
    title: Shares the workspace selection
    description: D
    target: workspace
    condition: {field: properties.publicNetworkAccess, equals: Disabled}
    message: m
    remediation: {summary: s}
"""


def test_a_judgement_that_stops_mid_count_leaves_nothing_to_the_next() -> None:
    rules = load_rule_text(_TWO_RULES, "two.yaml")
    inst = blueprint()
    inv = Inventory(inst.rows())
    engine = Engine(inv, rules, EngineOptions())
    findings = engine.run(build_instances(inv))
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["CUSTOM-1"].status is Status.ERROR
    assert "nosuchgroup" in by_rule["CUSTOM-1"].message
    assert by_rule["CUSTOM-2"].status is Status.PASS
    # The context is shared by every judgement of a run: the aborted counts left no scope.
    assert engine._ctx.currents == {} and engine._ctx.field_scopes == []


def test_one_rule_alone_gives_what_it_gives_in_the_pack() -> None:
    inst = blueprint(prefix="x")
    inst.workspace["properties"]["publicNetworkAccess"] = "Enabled"
    inv = Inventory(inst.rows())
    rules = [r for r in pack().rules if not opt_in(r)]
    engine = Engine(inv, rules, EngineOptions())
    (instance,) = build_instances(inv)
    together = engine.run([instance])
    alone = [f for r in rules for f in engine.evaluate(r, instance)]
    assert together == alone
    assert any(f.status is Status.FAIL for f in together)


def test_a_gap_where_a_linked_resource_lives_reaches_the_rules_that_read_across_the_instance() -> (
    None
):
    mine = blueprint(prefix="mine", rg="rg-mine")
    theirs = blueprint(sub="99999999-0000-0000-0000-000000000009", prefix="theirs", rg="rg-b")
    mine.use_shared("registry", theirs)  # the registry sits in a subscription that was unreadable
    gap = Gap("no access", scope=theirs.sub)
    findings = run(mine.rows(), EngineOptions(gaps=(gap,)))
    by_rule = {f.rule_id: f for f in findings if f.resource_id == mine.workspace["id"]}
    # AMLG-106 reads every linked resource's grants: it cannot be judged.
    assert by_rule["AMLG-106"].status is Status.ERROR and "no access" in by_rule["AMLG-106"].message
    # AMLG-101 reads the workspace row alone: unaffected.
    assert by_rule["AMLG-101"].status is Status.PASS


def test_a_gap_where_the_endpoints_live_reaches_the_rules_that_read_them() -> None:
    inst = blueprint()
    network = "77777777-0000-0000-0000-000000000007"
    # Private endpoints sit in their VNet's subscription, here a network subscription.
    prefix = f"/subscriptions/{inst.sub}/resourceGroups/{inst.rg}/providers/Microsoft.Network/privateEndpoints/"
    moved = f"/subscriptions/{network}/resourceGroups/{inst.rg}/providers/Microsoft.Network/privateEndpoints/"
    rows = json.loads(json.dumps(inst.rows()).replace(prefix, moved))
    findings = run(rows, EngineOptions(gaps=(Gap("zone groups unreadable", scope=network),)))
    blob = [f for f in findings if f.rule_id == "AMLG-202"]
    assert blob and {f.status for f in blob} == {Status.ERROR}
    # A gap in a subscription the instance does not touch changes nothing.
    elsewhere = Gap("unreadable", scope="66666666-0000-0000-0000-000000000006")
    assert {f.status for f in run(rows, EngineOptions(gaps=(elsewhere,)))} == {Status.PASS}


def test_no_solution_vnet_under_a_gap_is_error_not_skipped() -> None:
    inst = blueprint()
    for key in ["workspace", "storage-blob", "storage-file", "keyvault", "registry"]:
        inst.remove_endpoint(key)
    findings = run(inst.rows(), EngineOptions(gaps=(Gap("throttled", scope=inst.sub),)))
    assert {f.status for f in findings if f.rule_id in ("AMLG-301", "AMLG-302")} == {Status.ERROR}
