"""Issue 13 part B against the emulator, through the real SDK clients: the same verdicts live
and from a snapshot, and --fix for AI Search (endpoint, then public access), the registry
admin user and Application Insights behind its private link scope."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from amlguard.cli import cli
from amlguard.scanner.model import Status
from amlguard.scanner.rules import load_pack
from tests.builders import blueprint
from tests.builders_integrations import add_ampls, add_registry, add_search, hardened
from tests.emulator import arg, integrations, network
from tests.emulator.server import Emulator
from tests.remediate.conftest import EmulatorSource, SettledSource

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"
RULES = ("AMLG-224", "AMLG-234", "AMLG-236", "AMLG-250")


def _estate() -> list[dict[str, Any]]:
    inst = hardened(blueprint())
    add_search(inst, public=True)
    add_registry(inst, managed_public=True)
    return inst.rows()


@pytest.mark.parametrize("extra", [(), ("--tag", "hardening")])
def test_live_and_snapshot_verdicts_are_the_same(
    extra: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    rows = _estate()
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps({"data": rows}), encoding="utf-8")
    with Emulator(rows) as emu:
        arg.install(emu)
        runner = CliRunner()
        live_args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
        live = runner.invoke(cli, ["check", "-f", "json", *live_args, *extra])
        offline = runner.invoke(cli, ["check", "-f", "json", "--snapshot", str(snap), *extra])
    assert live.exit_code == offline.exit_code, live.output
    found = json.loads(live.stdout)["findings"]
    assert found == json.loads(offline.stdout)["findings"]
    failing = {f["rule_id"] for f in found if f["status"] == "fail"}
    assert {"AMLG-234", "AMLG-241"} <= failing
    assert ("AMLG-213" in {f["rule_id"] for f in found}) == bool(extra)


def _fix_estate() -> list[dict[str, Any]]:
    """Search public without its endpoint (its zone exists), ACR admin user on, App Insights
    public although an AMPLS with an approved endpoint scopes it."""
    inst = blueprint()
    search = add_search(inst, public=True)
    inst.endpoints.pop("search")
    inst.zone_groups.pop("search")
    search["properties"]["privateEndpointConnections"] = []
    inst.registry["properties"]["adminUserEnabled"] = True
    add_ampls(inst, private=False)
    return inst.rows()


def _run_fix(emu: Emulator, clients: Any) -> tuple[Any, Any, str]:
    from amlguard.remediate import fix
    from amlguard.scanner.scan import ScanOptions

    pack = load_pack([])
    rules = [r for r in pack.rules if r.id in RULES]
    options = ScanOptions()
    prepared = fix.prepare(EmulatorSource(emu), pack, rules, options, [], clients.get)
    console = Console(file=StringIO(), width=160)
    opts = fix.FixOptions(only=[], dry_run=False, yes=True)
    report = fix.fix_after_scan(
        prepared, opts, clients, console, lambda: False, (pack, rules, options)
    )
    return prepared, report, console.file.getvalue()


def test_fix_creates_the_search_endpoint_then_closes_search_acr_admin_and_app_insights(
    make_clients: Any,
) -> None:
    with Emulator(_fix_estate(), arg_lag=600.0) as emu:
        network.install(emu)
        integrations.register(emu)
        clients = make_clients(emu)
        prepared, report, text = _run_fix(emu, clients)
        ops = sorted(a.operation for a in prepared.plan.actions)
        assert ops == [
            "create-dns-zone-group",
            "create-private-endpoint",
            "disable-public-ingestion-query",
            "disable-public-network-access",
            "disable-registry-admin-user",
        ], ops
        assert any("admin user" in w for w in prepared.plan.warnings)
        assert report.exit_code == 0, text
        assert all(o.status == "done" for o in report.outcomes.values()), text
        assert all(report.verified.values()) and not report.remaining
        # The components API's PATCH sets tags only: the fix PUT the whole component.
        puts = emu.requests("PUT", contains="Microsoft.Insights/components")
        assert len(puts) == 1
        body = puts[0].body
        assert body["properties"]["publicNetworkAccessForQuery"] == "Disabled"
        assert "ConnectionString" not in body["properties"]
        search_patch = emu.requests("PATCH", contains="Microsoft.Search/searchServices")
        assert search_patch[0].body == {"properties": {"publicNetworkAccess": "disabled"}}
        # Resource Graph caught up: every fixed rule passes.
        pack = load_pack([])
        from amlguard.scanner.scan import run_scan

        after = run_scan(SettledSource(emu), pack, [r for r in pack.rules if r.id in RULES])
        assert {f.status for f in after.findings} == {Status.PASS}, [
            (f.rule_id, f.message) for f in after.findings if f.status is not Status.PASS
        ]


def test_app_insights_without_a_private_link_scope_is_a_manual_step(make_clients: Any) -> None:
    inst = blueprint()
    with Emulator(inst.rows()) as emu:
        network.install(emu)
        integrations.register(emu)
        prepared, _report, _text = _run_fix(emu, make_clients(emu))
        assert not [a for a in prepared.plan.actions if a.rule_ids == ("AMLG-250",)]
        (step,) = [m for m in prepared.plan.manual if m.rule_id == "AMLG-250"]
        assert "private link scope" in step.reason
        assert emu.get(inst.insights["id"]) is not None
        assert not emu.requests("PUT", contains="Microsoft.Insights/components")
