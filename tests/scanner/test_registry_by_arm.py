"""A registry the workspace integrates that Resource Graph does not index (real-estates section
8) is read by id from ARM, so its findings are judged, not "outside the scan scope or deleted";
live equals the snapshot. Real SDK clients against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint, rid, row
from tests.emulator import arg
from tests.emulator.live import findings, scan, source
from tests.emulator.server import Emulator

REGISTRY = "microsoft.machinelearningservices/registries"


def _estate(deleted: bool = False) -> tuple[list[dict], str]:
    inst = blueprint()
    reg = rid(
        inst.sub, "ml-shared", "Microsoft.MachineLearningServices/registries", "blueprint-reg"
    )
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowRegistry"] = {
        "type": "PrivateEndpoint", "category": "UserDefined", "status": "Active",
        "destination": {"serviceResourceId": reg, "subresourceTarget": "amlregistry",
                        "sparkEnabled": True},
    }  # fmt: skip
    if not deleted:
        inst.extra.append(
            row(reg, REGISTRY, properties={"publicNetworkAccess": "Disabled",
                                           "registryPrivateEndpointConnections": []})
        )  # fmt: skip
    return inst.rows(), reg


def test_unindexed_registry_is_read_from_arm_and_judged(tmp_path: Path) -> None:
    rows, reg = _estate()
    with Emulator(rows) as emu:
        arg.install(emu, unindexed={REGISTRY})
        live = scan(source(emu))
        gets = [r.path.split("?")[0].lower() for r in emu.requests("GET", "/registries/")]
    assert gets == [reg.lower()]
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    offline = scan(SnapshotSource([snap]))
    assert live.source.complete, live.source.gaps
    assert findings(live) == findings(offline)
    on_registry = [f for f in live.findings if f.resource_id.lower() == reg.lower()]
    assert on_registry and all("not in the scanned inventory" not in f.message for f in on_registry)


def test_deleted_registry_is_still_an_error_naming_it() -> None:
    rows, reg = _estate(deleted=True)
    with Emulator(rows) as emu:
        arg.install(emu, unindexed={REGISTRY})
        live = scan(source(emu))
    on_registry = [f for f in live.findings if f.resource_id.lower() == reg.lower()]
    assert on_registry and {f.status.value for f in on_registry} == {"error"}
    assert live.source.complete  # a 404 is a deleted resource, not an unreadable one
