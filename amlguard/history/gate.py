"""What ``check --history`` adds to a scan: record it, compare it with the previous scan of its
scope, hand the trend to reports, and (with ``--fail-on-new``) gate only on new failures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amlguard.errors import EXIT_FINDINGS, EXIT_OK
from amlguard.history.diff import Diff, diff_recorded
from amlguard.history.records import ScanRecord, TrendPoint
from amlguard.history.store import HistoryStore
from amlguard.scanner.model import ScanResult, Severity

#: How many scans of a scope the HTML trend chart shows.
TREND_SCANS = 60


@dataclass(frozen=True, slots=True)
class Recorded:
    """A scan just stored in the history, its drift from the previous one, and the trend."""

    path: Path
    scan: ScanRecord
    diff: Diff
    trend: tuple[TrendPoint, ...]

    def report_extra(self) -> dict[str, Any]:
        """What reports find under ``ReportOptions.extra['history']``."""
        return {
            "history": {
                "scan_id": self.scan.id,
                "scope": self.scan.scope,
                "previous_scan_id": self.diff.before.id if self.diff.before else None,
                "diff": self.diff.counts(),
                "new_keys": ["|".join(c.finding.key) for c in self.diff.new],
                "first_seen": {
                    "|".join(c.finding.key): c.first_seen
                    for c in self.diff.still_failing
                    if c.first_seen
                },
                "trend": [
                    {
                        "scan_id": p.scan_id,
                        "scan_time": p.scan_time,
                        "failing": p.failing,
                        "errors": p.errors,
                        "complete": p.complete,
                    }
                    for p in self.trend
                ],
            }
        }

    def summary(self) -> str:
        """One line for standard error: what was recorded and how it moved."""
        c = self.diff.counts()
        since = (
            f"since scan {self.diff.before.id}: {c['new']} new, {c['resolved']} resolved, "
            f"{c['still_failing']} still failing, {c['unjudged']} unjudged"
            if self.diff.before
            else "the first scan of this scope"
        )
        return f"history: recorded scan {self.scan.id} in {self.path} ({since})"


def open_history(path: Path) -> None:
    """Create or migrate the database now, or raise ``HistoryError`` for an unusable file."""
    HistoryStore(path).close()


def record_scan(path: Path, result: ScanResult, scope: str | None = None) -> Recorded:
    """Store ``result`` (one transaction) and compare it with its scope's previous scan."""
    with HistoryStore(path) as store:
        scan = store.record(result, scope)
        diff = diff_recorded(store, scan)
        trend = store.trend(scan.scope, TREND_SCANS)
    return Recorded(path, scan, diff, tuple(trend))


def gate_on_new(code: int, recorded: Recorded, fail_on: Severity | None) -> int:
    """``--fail-on-new``: exit 1 only for failures new since the previous scan of the scope.

    An incomplete scan keeps its own code (3): its verdict cannot be trusted either way. With no
    previous scan, every failure is new (fail closed on the first run).
    """
    if code not in (EXIT_OK, EXIT_FINDINGS):
        return code
    return EXIT_FINDINGS if recorded.diff.new_at_or_above(fail_on) else EXIT_OK
