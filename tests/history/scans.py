"""Successive scans for history tests: builder estates written as snapshots, then scanned."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from amlguard.scanner.model import ScanResult
from amlguard.scanner.rules import RulePack, load_pack
from amlguard.scanner.scan import run_scan, select_rules
from amlguard.scanner.sources.snapshot import SnapshotSource, write_snapshot


@functools.cache
def pack() -> RulePack:
    """The built-in rule pack, loaded once per test session."""
    return load_pack([])


def scan(
    folder: Path,
    rows: list[dict[str, Any]],
    *,
    when: str | None = None,
    name: str = "estate.json",
    rule_ids: tuple[str, ...] = (),
    gaps: list[dict[str, str]] | None = None,
) -> ScanResult:
    """Scan ``rows`` as the snapshot ``folder/name`` (same name = same scope); ``when`` pins
    the scan time so first-seen dates are distinguishable."""
    path = folder / name
    write_snapshot(path, rows, {"gaps": gaps or []})
    result = run_scan(SnapshotSource([path]), pack(), select_rules(pack(), rule_ids or None))
    if when is not None:
        result.scan_time = when
    return result


def failing(result: ScanResult) -> set[tuple[str, str]]:
    """(rule id, resource name) of every failing finding."""
    return {
        (f.rule_id, f.resource_id.rsplit("/", 1)[-1])
        for f in result.findings
        if f.status.value == "fail"
    }
