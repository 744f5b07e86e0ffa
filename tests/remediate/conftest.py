"""Fixtures for remediation tests: an emulator with the remediation routes, clients, a source."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from amlguard.remediate.clients import ClientSettings, SdkClients
from amlguard.scanner.model import SourceInfo
from amlguard.scanner.sources.interface import Collected, Needs, Source
from tests.conftest import EXAMPLES
from tests.emulator import network
from tests.emulator.authz import Authz
from tests.emulator.credentials import FakeCredential
from tests.emulator.server import Emulator


class EmulatorSource(Source):
    """Test-only: the emulator's Resource Graph view (lagging ARM writes) as scan rows."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        return Collected(self.emu.arg_rows(), SourceInfo("emulator", self.emu.url))


def drifted_rows() -> list[dict[str, Any]]:
    return list(json.loads((EXAMPLES / "drifted.json").read_text())["data"])


@pytest.fixture
def fix_emu() -> Iterator[tuple[Emulator, Authz]]:
    """A started emulator with workspace, authorization and network routes, and no estate."""
    with Emulator() as emu:
        yield emu, network.install(emu)


@pytest.fixture
def make_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Emulator], SdkClients]]:
    """Real SDK clients pointed at an emulator; closed (custom cloud removed) afterwards."""
    monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
    made: list[SdkClients] = []

    def make(emu: Emulator) -> SdkClients:
        clients = SdkClients(
            ClientSettings(
                credential=FakeCredential(),
                arm_endpoint=emu.url,
                ca_bundle=emu.ca_path,
                retry_total=0,
                polling_interval=0.01,
            )
        )
        made.append(clients)
        return clients

    yield make
    for c in made:
        c.close()


def run_fix(
    emu: Emulator,
    clients: SdkClients,
    *,
    only: tuple[str, ...] = (),
    dry_run: bool = False,
    audit_log: Any = None,
    plan_out: Any = None,
) -> Any:
    """``check --fix --yes`` on the emulator: scan its Resource Graph view, plan, apply, verify."""
    from io import StringIO

    from rich.console import Console

    from amlguard.remediate import fix
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, select_rules

    pack = load_pack([])
    rules = select_rules(pack)
    options = ScanOptions()
    prepared = fix.prepare(EmulatorSource(emu), pack, rules, options, list(only), clients.get)
    console = Console(file=StringIO(), width=160)
    opts = fix.FixOptions(
        only=list(only), dry_run=dry_run, yes=True, audit_log=audit_log, plan_out=plan_out
    )
    report = fix.fix_after_scan(
        prepared, opts, clients, console, lambda: False, (pack, rules, options)
    )
    return prepared, report, console.file.getvalue()


class SettledSource(Source):
    """Test-only: what Resource Graph shows once it has caught up with every ARM write."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        with self.emu.lock:
            rows = [dict(r) for r in self.emu.state.values()]
        return Collected(rows, SourceInfo("emulator-settled", self.emu.url))


def fresh_findings(emu: Emulator, settled: bool = False) -> Any:
    """A fresh check of the emulator's Resource Graph view (``settled``: once it caught up)."""
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import run_scan, select_rules

    pack = load_pack([])
    source = SettledSource(emu) if settled else EmulatorSource(emu)
    return run_scan(source, pack, select_rules(pack)).findings
