"""Integration discovery live (issue 12 point 2): a project's workspace connection, read through
ARM for the scanned workspaces only, makes its target (in another resource group, outside the
selector's reach) an integration of the hub, live as from the snapshot; a Dependency outbound
rule on the hub then satisfies AMLG-104. Real SDK clients against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlguard.scanner.model import Status
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint, foundry_hub, rid, row
from tests.emulator import arg
from tests.emulator.live import findings, scan, source
from tests.emulator.server import Emulator


def _hub_with_a_connection(dependency_rule: bool):
    hub = foundry_hub()
    far = row(
        rid(hub.sub, "ai-shared", "Microsoft.CognitiveServices/accounts", "far-ais"),
        "microsoft.cognitiveservices/accounts",
        properties={"publicNetworkAccess": "Disabled", "customSubDomainName": "far-ais"},
        kind="AIServices",
    )
    hub.extra.append(far)
    project = hub.projects[1]["id"]
    hub.extra.append(
        row(f"{project}/connections/far",
            "microsoft.machinelearningservices/workspaces/connections",
            properties={"category": "AIServices", "authType": "AAD",
                        "target": "https://far-ais.openai.azure.com/",
                        "metadata": {"ResourceId": far["id"]},
                        "credentials": {"key": "must-never-be-kept"}})
    )  # fmt: skip
    if dependency_rule:
        hub.workspace["properties"]["managedNetwork"]["outboundRules"]["dep-far"] = {
            "type": "PrivateEndpoint", "category": "Dependency", "status": "Active",
            "destination": {"serviceResourceId": far["id"], "subresourceTarget": "account",
                            "sparkEnabled": True},
        }  # fmt: skip
    return hub, far


@pytest.mark.parametrize("dependency_rule", [False, True])
def test_connection_target_is_integrated_live_as_from_the_snapshot(
    dependency_rule: bool, tmp_path: Path
) -> None:
    hub, far = _hub_with_a_connection(dependency_rule)
    rows = hub.rows()
    with Emulator(rows) as emu:
        arg.install(emu)
        live = scan(source(emu))
        listed = [r.path.split("?")[0] for r in emu.requests("GET", "/connections")]
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    offline = scan(SnapshotSource([snap]))
    assert live.source.complete, live.source.gaps
    assert findings(live) == findings(offline)
    (inst,) = live.instances
    assert far["id"] in inst.integrated
    f104 = next(f for f in live.findings if f.rule_id == "AMLG-104")
    if dependency_rule:
        assert f104.status is Status.PASS
    else:
        assert f104.status is Status.FAIL and "far-ais" in f104.message
    # one ARM list per scanned workspace (the hub and both projects), nothing else
    workspaces = {hub.workspace["id"].lower(), *(p["id"].lower() for p in hub.projects)}
    assert {p.lower().removesuffix("/connections") for p in listed} == workspaces


def test_connection_credentials_never_reach_the_inventory() -> None:
    hub, _far = _hub_with_a_connection(False)
    with Emulator(hub.rows()) as emu:
        arg.install(emu)
        got = source(emu).collect(_needs())
    conns = [r for r in got.rows if r["type"].endswith("/connections")]
    assert conns and all("credentials" not in r["properties"] for r in conns)
    assert "must-never-be-kept" not in json.dumps(got.rows)


def _needs():
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import needs_of

    pack = load_pack([])
    return needs_of(pack.rules)


def test_unscanned_workspace_connections_are_not_listed() -> None:
    inst = blueprint()
    other = blueprint("00000000-0000-0000-0000-0000000000ee", prefix="other")
    with Emulator(inst.rows() + other.rows()) as emu:
        arg.install(emu)
        scan(source(emu, subscriptions=(inst.sub,)))
        listed = [r.path for r in emu.requests("GET", "/connections")]
    assert listed and all(other.workspace["id"].lower() not in p.lower() for p in listed)
