"""What ``check --history`` adds to a scan: record it, compare it with the previous scan of its
scope, hand the trend to reports, and (with ``--fail-on-new``) gate only on new failures.

With ``--fail-on-new`` (and no ``--baseline``, which then decides) "new" means not failing in
the last scan of the scope that the gate accepted (see :mod:`amlguard.history.reference`), and
each scan's own outcome is recorded with it, in the same transaction, for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlguard.errors import EXIT_FINDINGS, EXIT_OK
from amlguard.history.diff import Diff, diff_recorded
from amlguard.history.records import (
    GATE_ACCEPTS,
    GATE_FAILED,
    GATE_INCOMPLETE,
    GATE_OFF,
    GATE_PASSED,
    ScanRecord,
    TrendPoint,
)
from amlguard.history.reference import why_accepted
from amlguard.history.store import HistoryStore
from amlguard.scanner.model import ScanResult, Severity, Status

if TYPE_CHECKING:
    from amlguard.settingtypes import Gate

#: How many scans of a scope the HTML trend chart shows.
TREND_SCANS = 60


@dataclass(frozen=True, slots=True)
class Recorded:
    """A scan just stored in the history, its drift from the scan it is compared with (the
    previous one; with ``--fail-on-new``, the last one that gate accepted), and the trend."""

    path: Path
    scan: ScanRecord
    diff: Diff
    trend: tuple[TrendPoint, ...]
    #: the scope's scan just before this one (``diff.before`` unless the gate compared further)
    previous: ScanRecord | None = None
    #: True when ``diff`` is against the --fail-on-new gate's reference, not the previous scan
    gated: bool = False
    #: new failures (at or above --fail-on) that the previous, rejected scan already had
    retried: int = 0

    def reference_why(self, label: str = "") -> str:
        """Why ``diff.before`` is the scan compared with ("the last scan that passed this
        gate"); empty when it is simply the previous scan."""
        before = self.diff.before
        if not self.gated or before is None:
            return ""
        return why_accepted(before.gate, label)

    def report_extra(self) -> dict[str, Any]:
        """What reports find under ``ReportOptions.extra['history']``."""
        return {
            "history": {
                "scan_id": self.scan.id,
                "scope": self.scan.scope,
                "gate": self.scan.gate,
                # the scan the diff (and "new") is against: with --fail-on-new, the gate's
                "previous_scan_id": self.diff.before.id if self.diff.before else None,
                "compared_with": "gate-reference" if self.gated else "previous",
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
        before = self.diff.before
        if before is not None:
            why = self.reference_why()
            since = (
                f"since scan {before.id}{', ' + why if why else ''}: {c['new']} new, "
                f"{c['resolved']} resolved, {c['still_failing']} still failing, "
                f"{c['unjudged']} unjudged"
            )
        elif self.gated and self.previous is not None:
            since = f"no earlier scan of this scope passed this gate: {c['new']} new"
        else:
            since = "the first scan of this scope"
        gate = self.scan.gate
        told = f"; --fail-on-new: {gate}" if gate and gate != GATE_OFF else ""
        return f"history: recorded scan {self.scan.id} in {self.path} ({since}){told}"

    def retry_warning(self) -> str | None:
        """Said when new failures were already failing in a previous scan that failed (or could
        not decide) its gate: re-running a rejected scan does not make its failures known."""
        prev = self.previous
        if not self.retried or prev is None:
            return None
        return (
            f"{self.retried} new failure(s) were already failing in scan {prev.id}, which "
            f"{'failed' if prev.gate == GATE_FAILED else 'could not decide'} this gate: a re-run "
            "does not make a failure known (accept it with --baseline or a suppression, or "
            "record a scan without --fail-on-new)"
        )


def open_history(path: Path) -> None:
    """Create or migrate the database now, or raise ``HistoryError`` for an unusable file."""
    HistoryStore(path).close()


def history_gates(gate: Gate | None) -> bool:
    """Whether ``--fail-on-new`` gates on the history (a ``--baseline`` decides instead)."""
    return gate is not None and gate.fail_on_new and gate.baseline is None


@dataclass(frozen=True, slots=True)
class _Judged:
    diff: Diff


def gate_outcome(result: ScanResult, gate: Gate | None, diff: Diff) -> str:
    """The outcome the history keeps for a scan: ``off`` without --fail-on-new, else what its
    exit code says (the same function decides both)."""
    if gate is None or not gate.fail_on_new:
        return GATE_OFF
    from amlguard.verdict import exit_code

    code = exit_code(result, gate, _Judged(diff))
    return {EXIT_OK: GATE_PASSED, EXIT_FINDINGS: GATE_FAILED}.get(code, GATE_INCOMPLETE)


def record_scan(
    path: Path, result: ScanResult, scope: str | None = None, gate: Gate | None = None
) -> Recorded:
    """Store ``result`` with its gate outcome (one transaction) and compare it with the scan
    the gate compares with (else the previous scan of its scope)."""
    gated = history_gates(gate)
    fail_on = gate.fail_on if gate is not None else None
    with HistoryStore(path) as store:
        judged: list[Diff] = []

        def outcome(scan: ScanRecord) -> str:
            judged.append(diff_recorded(store, scan, gated=gated, fail_on=fail_on))
            return gate_outcome(result, gate, judged[0])

        scan = store.record(result, scope, outcome)
        diff = replace(judged[0], after=scan)
        previous = store.previous(scan)
        retried = 0
        if gated and previous is not None and previous.gate not in (*GATE_ACCEPTS, None):
            before = {f.key for f in store.findings(previous.id) if f.status is Status.FAIL}
            retried = sum(c.finding.key in before for c in diff.new_at_or_above(fail_on))
        trend = store.trend(scan.scope, TREND_SCANS)
    return Recorded(path, scan, diff, tuple(trend), previous, gated, retried)


def gate_on_new(code: int, recorded: Recorded, fail_on: Severity | None) -> int:
    """``--fail-on-new``: exit 1 only for failures not failing in the last scan of the scope
    that this gate accepted (``recorded.diff`` is against it).

    An incomplete scan keeps its own code (3): its verdict cannot be trusted either way. With no
    accepted earlier scan, every failure is new (fail closed on the first run, and on a re-run
    of a failed one).
    """
    if code not in (EXIT_OK, EXIT_FINDINGS):
        return code
    return EXIT_FINDINGS if recorded.diff.new_at_or_above(fail_on) else EXIT_OK
