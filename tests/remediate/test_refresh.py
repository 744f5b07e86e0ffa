"""Planning from ARM under a Resource Graph lag: a rerun right after a fix writes nothing."""

from __future__ import annotations

from typing import Any

from amlguard.remediate import fix
from amlguard.remediate.plan import plan_reads
from amlguard.remediate.refresh import prepare_fresh, refresh_targets
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, select_rules
from tests.emulator import network
from tests.emulator.server import Emulator
from tests.remediate.conftest import EmulatorSource, drifted_rows, run_fix


def _prepare(emu: Emulator, clients: Any, fresh: bool) -> Any:
    pack = load_pack([])
    rules = select_rules(pack)
    if fresh:
        return prepare_fresh(EmulatorSource(emu), pack, rules, ScanOptions(), [], clients)
    return fix.prepare(EmulatorSource(emu), pack, rules, ScanOptions(), [], clients.get)


def test_a_rerun_under_lag_plans_nothing_when_planning_from_arm(make_clients) -> None:
    with Emulator(drifted_rows(), arg_lag=30.0) as emu:
        network.install(emu)
        clients = make_clients(emu)
        _, first, text = run_fix(emu, clients)
        assert first.exit_code == 0, text
        writes_after_fix = len(emu.writes())
        # Resource Graph still shows the estate as it was before the fix (30 s lag) ...
        lagging = _prepare(emu, clients, fresh=False)
        assert not lagging.plan.empty
        # ... but planning from ARM's answers finds nothing left to write.
        fresh = _prepare(emu, clients, fresh=True)
        assert fresh.plan.empty, [a.summary for a in fresh.plan.actions]
        assert len(emu.writes()) == writes_after_fix  # planning wrote nothing
        # Every resource the lagging plan would have written was read from ARM.
        got = {r.path.lower() for r in emu.requests("GET")}
        assert all(rid.lower() in got for rid in plan_reads(lagging.plan))


def test_refresh_targets_lays_arm_over_rows_and_drops_what_arm_says_is_gone(
    make_clients,
) -> None:
    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        clients = make_clients(emu)
        draft = _prepare(emu, clients, fresh=False)
        target = next(a.target for a in draft.plan.actions if "storageAccounts" in a.target)
        row = dict(emu.get(target) or {})
        row["properties"] = {**row["properties"], "publicNetworkAccess": "Disabled"}
        emu.write(row)  # ARM changed; Resource Graph (no lag here, but not re-scanned) did not
        fresh = refresh_targets(draft.plan, draft.rows, clients)
    assert target.lower() in fresh.changed
    by_id = {str(r["id"]).lower(): r for r in fresh.rows}
    assert by_id[target.lower()]["properties"]["publicNetworkAccess"] == "Disabled"
    assert by_id[target.lower()]["type"] == "microsoft.storage/storageaccounts"
    assert not fresh.errors
