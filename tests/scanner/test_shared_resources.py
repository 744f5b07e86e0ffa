"""Resources many instances share (one AI account, registry or DNS hub for many workspaces).

A shared resource is judged in every instance that uses it, with that instance's view of it:
only the endpoints in the instance's own solution VNet are the instance's. Rules that do not
depend on the instance judge it once; the findings say the same as judging it afresh.
"""

from __future__ import annotations

from amlguard.scanner.engine import Engine, EngineOptions
from amlguard.scanner.instances import build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Status
from tests.builders import Instance, blueprint
from tests.scanner.harness import instances, of_rule, pack, scan


def spokes(n: int, shared: str) -> list[Instance]:
    """``n`` blueprint instances in their own resource groups and VNets, all using spoke 0's
    resource ``shared``, each with its own private endpoint to it."""
    out = [blueprint(prefix=f"spoke{i}", rg=f"rg-spoke{i}") for i in range(n)]
    for inst in out[1:]:
        inst.use_shared(shared, out[0])
    return out


def estate(insts: list[Instance]) -> list[dict]:
    seen: dict[str, dict] = {}
    for inst in insts:
        for r in inst.rows():
            seen.setdefault(r["id"].lower(), r)
    return list(seen.values())


def test_instances_know_which_members_they_share() -> None:
    insts = spokes(3, "openai")
    built = {i.id: i for i in instances(estate(insts))}
    account = insts[0].openai["id"].lower()
    for inst in insts:
        assert built[inst.workspace["id"]].shared == {account}
    alone = instances(blueprint().rows())
    assert alone[0].shared == frozenset()


def test_every_instance_judges_a_shared_ai_account_with_its_own_endpoint() -> None:
    insts = spokes(3, "openai")
    findings = scan(estate(insts))
    ai = of_rule(findings, "AMLG-233")
    assert [(f.instance, f.status) for f in ai] == [
        (inst.workspace["id"], Status.PASS) for inst in insts
    ]
    # Spoke 2 loses its endpoint: the others' endpoints, in other VNets, do not count for it.
    insts = spokes(3, "openai")
    insts[2].remove_endpoint("openai")
    ai = of_rule(scan(estate(insts)), "AMLG-233")
    assert {f.instance: f.status for f in ai} == {
        insts[0].workspace["id"]: Status.PASS,
        insts[1].workspace["id"]: Status.PASS,
        insts[2].workspace["id"]: Status.FAIL,
    }


def test_dns_zones_of_other_instances_endpoints_are_not_judged() -> None:
    insts = spokes(3, "openai")
    findings = of_rule(scan(estate(insts)), "AMLG-301")
    for inst in insts:
        judged = {f.resource_id.lower() for f in findings if f.instance == inst.workspace["id"]}
        # Its own seven zones, none of the other spokes' (which are linked to their own VNets).
        assert judged == {z["id"].lower() for z in inst.zones.values()}
    assert {f.status for f in findings} == {Status.PASS}


def test_a_shared_resource_fails_in_every_instance_that_uses_it() -> None:
    insts = spokes(3, "registry")
    insts[0].registry["properties"]["publicNetworkAccess"] = "Enabled"
    conn = insts[0].registry["properties"]["privateEndpointConnections"][1]
    conn["properties"]["privateLinkServiceConnectionState"]["status"] = "Pending"
    findings = scan(estate(insts))
    for rule_id in ("AMLG-222", "AMLG-240"):
        got = [f for f in of_rule(findings, rule_id) if f.resource_id == insts[0].registry["id"]]
        assert [f.instance for f in got] == [inst.workspace["id"] for inst in insts]
        assert {f.status for f in got} == {Status.FAIL}


def test_judging_a_shared_resource_once_says_what_judging_it_afresh_says() -> None:
    insts = [blueprint(prefix=f"spoke{i}", rg=f"rg-spoke{i}") for i in range(4)]
    for inst in insts[1:]:
        inst.use_shared("keyvault", insts[0])
        inst.use_shared("registry", insts[0])
    insts[0].keyvault["properties"]["publicNetworkAccess"] = "Enabled"
    conn = insts[0].registry["properties"]["privateEndpointConnections"][2]
    conn["properties"]["privateLinkServiceConnectionState"]["status"] = "Rejected"
    insts[3].remove_endpoint("keyvault")
    rows = estate(insts)
    inv = Inventory(rows)
    built = build_instances(inv)
    together = Engine(inv, pack().rules, EngineOptions()).run(built)
    # A fresh engine per instance shares no verdict between instances.
    apart = [f for inst in built for f in Engine(inv, pack().rules, EngineOptions()).run([inst])]
    assert together == apart
    # The same rule gives the two shared resources different verdicts.
    connections = {(f.resource_id, f.status) for f in of_rule(together, "AMLG-240")}
    assert (insts[0].registry["id"], Status.FAIL) in connections
    assert (insts[0].keyvault["id"], Status.PASS) in connections


def test_a_shared_resource_does_not_vote_for_the_solution_subnet() -> None:
    insts = spokes(3, "keyvault")
    for inst in insts:
        inst.remove_endpoint("workspace")  # the subnet must come from the associated resources
    built = {i.id: i for i in instances(estate(insts))}
    for inst in insts:
        # Its own storage and registry endpoints decide, not the vault's three endpoints.
        assert built[inst.workspace["id"]].solution_subnet == inst.subnet_id


def test_only_shared_endpoints_leave_the_solution_subnet_undetermined() -> None:
    insts = spokes(3, "keyvault")
    for inst in insts:
        for key in ("workspace", "storage-blob", "storage-file", "registry"):
            inst.remove_endpoint(key)
    built = instances(estate(insts))
    # The vault's endpoints are one per spoke: picking one would judge a spoke against another
    # spoke's VNet. Better to say it cannot be determined (the rules that need it are skipped).
    assert [i.solution_subnet for i in built] == [None, None, None]
    findings = scan(estate(insts))
    assert {f.status for f in of_rule(findings, "AMLG-302")} == {Status.SKIPPED}


def test_a_shared_resource_without_an_endpoint_in_this_vnet_still_has_its_zones_judged() -> None:
    insts = spokes(2, "registry")
    insts[1].remove_endpoint("registry")  # spoke 1 has no private path of its own to it
    findings = of_rule(scan(estate(insts)), "AMLG-301")
    mine = [f for f in findings if f.instance == insts[1].workspace["id"]]
    # The zone spoke 0's endpoint uses is judged against spoke 1's VNet, and is not linked.
    failing = [f for f in mine if f.status is Status.FAIL]
    assert [f.resource_id.rsplit("/", 1)[-1] for f in failing] == ["privatelink.azurecr.io"]


def test_shared_resources_that_agree_give_the_solution_subnet() -> None:
    a = blueprint(prefix="a", rg="rg-a")
    b = blueprint(prefix="b", rg="rg-b")
    for name in ("storage", "keyvault", "registry"):
        b.use_shared(name, a)
    for key in ("workspace", "storage-blob", "storage-file", "keyvault", "registry"):
        b.remove_endpoint(key)  # b has no endpoint of its own: only a's, all in one subnet
    built = {i.id: i for i in instances(estate([a, b]))}
    assert built[b.workspace["id"]].solution_subnet == a.subnet_id
