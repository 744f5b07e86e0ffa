"""The issue 12 gaps give the same verdict live (emulator, real SDK clients) as from the
snapshot: a Failed outbound rule quoting its errorInformation, the selector's suggestions, a
hub's image build compute and a hub without Application Insights."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, instance_settings, run_scan
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint, foundry_hub, rid, row
from tests.emulator import arg
from tests.emulator.live import findings, source
from tests.emulator.server import Emulator


def _failed_rule() -> list[dict]:
    inst = blueprint()
    rule = inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowOpenAi"]
    rule["status"] = "Failed"
    rule["errorInformation"] = "approval denied\x1b[2J by policy"
    return inst.rows()


def _stray_account() -> list[dict]:
    inst = blueprint()
    inst.extra.append(
        row(rid(inst.sub, inst.rg, "Microsoft.CognitiveServices/accounts", "stray"),
            "microsoft.cognitiveservices/accounts", properties={}, kind="AIServices")
    )  # fmt: skip
    return inst.rows()


def _hub_without(prop: str) -> Callable[[], list[dict]]:
    def build() -> list[dict]:
        hub = foundry_hub()
        del hub.workspace["properties"][prop]
        return hub.rows()

    return build


CASES: dict[str, tuple[Callable[[], list[dict]], dict[str, Any], str, str]] = {
    "failed-rule": (_failed_rule, {}, "AMLG-104", '"approval denied\\u001b[2J by policy"'),
    "suggestion": (_stray_account, {"integration_selector": {"mode": "suggest"}}, "AMLG-115",
                   "stray"),
    "hub-image-build": (_hub_without("imageBuildCompute"), {}, "AMLG-107", ""),
    "hub-app-insights": (_hub_without("applicationInsights"), {}, "AMLG-108", ""),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_live_verdict_equals_the_snapshot(case: str, tmp_path: Path) -> None:
    build, options, rule_id, quoted = CASES[case]
    rows = build()
    pack = load_pack([])
    opts = ScanOptions(**options)
    with Emulator(rows) as emu:
        arg.install(emu)
        live = run_scan(source(emu, instance_settings=instance_settings(pack, opts)), pack,
                        pack.rules, opts)  # fmt: skip
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    offline = run_scan(SnapshotSource([snap]), pack, pack.rules, opts)
    assert live.source.complete, live.source.gaps
    assert findings(live) == findings(offline)
    judged = [f for f in live.findings if f.rule_id == rule_id]
    assert judged
    if quoted:
        assert any(quoted in f.message for f in judged), [f.message for f in judged]
    if case == "hub-image-build":
        assert "--image-build-compute ci-image-build" in judged[0].remediation
    if case == "hub-app-insights":
        assert judged[0].status.value == "pass"
