"""What the export tests share: a scan result of an estate, and a client factory for the emulator."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from amlguard.azure.clients import AzureSettings, ClientFactory
from amlguard.reports.interface import ReportOptions
from amlguard.reports.json_report import JsonReport
from amlguard.scanner.model import ScanResult
from amlguard.scanner.rules import RulePack, load_pack
from amlguard.scanner.scan import run_scan
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.emulator.credentials import FakeCredential
from tests.emulator.server import Emulator

ROOT = Path(__file__).resolve().parents[2]
ESTATES = sorted((ROOT / "examples" / "estates").glob("*.json"))
DCR = "dcr-0123456789abcdef0123456789abcdef"
STREAM = "Custom-AmlGuardFindings"
SECRET = "eyJhbGciOiJub25lIn0.c2VjcmV0LXRva2VuLWZvci1hbWxndWFyZA.s1gn4ture"


@functools.cache
def _pack() -> RulePack:
    return load_pack([])


def scan_result(*snapshots: Path) -> ScanResult:
    """The scan of these snapshot files with the built-in rules: THE one place tests build one.

    (When the run path becomes a single ``evaluate()``, point this at it.)
    """
    from amlguard.scanner.scan import select_rules

    pack = _pack()
    return run_scan(SnapshotSource(list(snapshots)), pack, select_rules(pack))


def report_findings(result: ScanResult) -> list[dict[str, Any]]:
    """The findings as the JSON report writes them."""
    return list(json.loads(JsonReport().render(result, ReportOptions()))["findings"])


def url(emu: Emulator, stream: str = STREAM) -> str:
    """The emulator's ingestion URL for the test DCR."""
    return f"{emu.url}/dataCollectionRules/{DCR}/streams/{stream}"


def factory(emu: Emulator, token: str = SECRET) -> ClientFactory:
    """A client factory trusting the emulator's CA, with a credential handing out ``token``."""
    return ClientFactory(AzureSettings(ca_bundle=emu.ca_path), FakeCredential(token))
