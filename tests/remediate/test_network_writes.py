"""PATCHes send only what they change (issue 11 item 16); writes to one workspace's managed
network run one at a time, different workspaces concurrently (item 17)."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from tests.builders import Instance, blueprint
from tests.emulator import network
from tests.emulator.server import Emulator, Request, Response
from tests.remediate.conftest import run_fix

ACLS = {
    "defaultAction": "Deny",
    "ipRules": [{"value": "203.0.113.0/24", "action": "Allow"}],
}


def test_public_access_patch_keeps_network_acls(make_clients) -> None:
    inst = blueprint()
    inst.workspace["properties"]["publicNetworkAccess"] = "Enabled"
    inst.workspace["properties"]["networkAcls"] = copy.deepcopy(ACLS)
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    inst.storage["properties"]["networkAcls"] = {**copy.deepcopy(ACLS), "bypass": "AzureServices"}
    with Emulator(inst.rows()) as emu:
        network.install(emu)
        _, report, text = run_fix(emu, make_clients(emu))
        patches = {w.path.lower(): w.body for w in emu.writes() if w.method == "PATCH"}
        ws_after = emu.get(inst.workspace["id"]) or {}
        st_after = emu.get(inst.storage["id"]) or {}
    assert report.exit_code == 0, text
    for target in (inst.workspace, inst.storage):
        assert patches[target["id"].lower()] == {"properties": {"publicNetworkAccess": "Disabled"}}
    assert ws_after["properties"]["networkAcls"] == ACLS
    assert ws_after["properties"]["publicNetworkAccess"] == "Disabled"
    assert st_after["properties"]["networkAcls"]["ipRules"] == ACLS["ipRules"]
    assert st_after["properties"]["networkAcls"]["defaultAction"] == "Deny"


def _two_missing_rules(rg: str, prefix: str) -> tuple[Instance, list[dict[str, Any]]]:
    inst = blueprint(rg=rg, prefix=prefix)
    del inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowOpenAi"]
    second = copy.deepcopy(inst.openai)
    second["id"] = second["id"] + "2"
    second["name"] = second["name"] + "2"
    second["properties"]["customSubDomainName"] = second["name"]
    second["properties"].pop("privateEndpointConnections", None)
    return inst, [*inst.rows(), second]


def test_outbound_rules_of_one_workspace_are_written_one_at_a_time(make_clients) -> None:
    a, rows_a = _two_missing_rules("ml-one", "one")
    b, rows_b = _two_missing_rules("ml-two", "two")
    delay = 0.3
    with Emulator(rows_a + rows_b) as emu:
        network.install(emu)
        rule_put = re.compile(r".*/workspaces/[^/]+/outboundRules/[^/]+", re.I)
        pattern, original = next(
            (p, h)
            for m, p, h in emu._routes
            if m == "PUT" and p.pattern.endswith("(?P<rule>[^/]+)")
        )

        @emu.route("PUT", rule_put.pattern)
        def slow(req: Request, m: re.Match[str]) -> Response:
            time.sleep(delay)  # a slow service: parallel writes would overlap
            found = pattern.fullmatch(req.path)
            assert found is not None
            return original(req, found)

        _, report, text = run_fix(emu, make_clients(emu), only=("AMLG-104",))
        puts = [w for w in emu.writes() if w.method == "PUT" and rule_put.fullmatch(w.path)]
    assert report.exit_code == 0, text
    by_ws: dict[str, list[float]] = {}
    for w in puts:
        by_ws.setdefault(w.path.lower().split("/outboundrules/")[0], []).append(w.time)
    assert sorted(by_ws) == sorted(i.workspace["id"].lower() for i in (a, b))
    for times in by_ws.values():
        assert len(times) == 2
        assert times[1] - times[0] >= delay  # the second waited for the first to finish
    firsts = sorted(t[0] for t in by_ws.values())
    assert firsts[1] - firsts[0] < delay  # the two workspaces were written concurrently


def test_public_access_is_not_cut_when_arm_shows_no_zone_group(make_clients) -> None:
    """Resource Graph still shows the zone groups; ARM says they are gone: the cut is skipped."""
    inst = blueprint()
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    with Emulator(inst.rows(), arg_lag=30.0) as emu:
        network.install(emu)
        store = "pe-storage-"
        groups = [
            key
            for key, r in emu.state.items()
            if str(r.get("type", "")).lower().endswith("privatednszonegroups") and store in key
        ]
        assert groups
        for key in groups:
            emu.delete(key)
        _, report, text = run_fix(emu, make_clients(emu))
        patched = [w.path.lower() for w in emu.writes() if w.method == "PATCH"]
        after = emu.get(inst.storage["id"]) or {}
    (action,) = [a for a in report.plan.actions if a.target == inst.storage["id"]]
    outcome = report.outcomes[action.id]
    assert outcome.status == "skipped" and outcome.code == "PrerequisiteMissing", text
    assert "no DNS zone group" in outcome.message
    assert inst.storage["id"].lower() not in patched
    assert after["properties"]["publicNetworkAccess"] == "Enabled"
