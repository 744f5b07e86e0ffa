"""Drift between two recorded scans: what newly fails, what was resolved (and why), what still
fails and since when, and what can no longer be judged.

A failure that was failing before is still "new" when it names an offender (a NIC, a connection,
an uncovered resource) the earlier scan's finding did not: the finding is one per workspace or
vault, and what grew inside it is new drift. Fewer offenders than before is still failing.

A failure is only "resolved" when the later scan says so: the finding passes, is suppressed or
not applicable, or its resource no longer appears in the scan at all. A finding that turned into
``error`` or whose rule was not run is "unjudged", never resolved (fail closed); and an unjudged
finding keeps its last judged state, so a failure seen again after a gap is not "new".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amlguard import offenders as offender_ids
from amlguard.errors import HistoryError
from amlguard.history.records import ScanRecord, StoredFinding
from amlguard.history.store import HistoryStore
from amlguard.scanner.model import Severity, Status

FIXED = "fixed"
SUPPRESSED = "suppressed"
NOT_APPLICABLE = "not-applicable"
RESOURCE_GONE = "resource-gone"
NOW_ERROR = "error"
NOT_EVALUATED = "not-evaluated"

#: a baseline-known failure is still a failure in the history: only the gate ignores it
_FAILING = (Status.FAIL, Status.KNOWN)
_RESOLVED_BY = {
    Status.PASS: FIXED,
    Status.SUPPRESSED: SUPPRESSED,
    Status.SKIPPED: NOT_APPLICABLE,
}


@dataclass(frozen=True, slots=True)
class Change:
    """One finding's move between two scans; ``reason`` for resolved/unjudged ones, and for a
    failure that grew, the offenders the earlier scan's finding did not name."""

    finding: StoredFinding
    reason: str = ""
    first_seen: str | None = None
    new_offenders: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of one change."""
        out = self.finding.to_dict()
        out.pop("first_seen", None)
        if self.reason:
            out["reason"] = self.reason
        if self.first_seen:
            out["first_seen"] = self.first_seen
        if self.new_offenders:
            out["new_offenders"] = list(self.new_offenders)
        return out


@dataclass(frozen=True, slots=True)
class Diff:
    """The drift from ``before`` (None: nothing recorded earlier) to ``after``."""

    before: ScanRecord | None
    after: ScanRecord
    new: tuple[Change, ...]
    resolved: tuple[Change, ...]
    still_failing: tuple[Change, ...]
    unjudged: tuple[Change, ...]

    def new_at_or_above(self, threshold: Severity | None) -> list[Change]:
        """New failures that ``--fail-on`` would gate on (none when it is ``none``)."""
        if threshold is None:
            return []
        return [c for c in self.new if c.finding.severity >= threshold]

    def counts(self) -> dict[str, int]:
        """How many findings fall in each category."""
        return {
            "new": len(self.new),
            "resolved": len(self.resolved),
            "still_failing": len(self.still_failing),
            "unjudged": len(self.unjudged),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``amlguard diff --format json``."""
        return {
            "from": self.before.to_dict() if self.before else None,
            "to": self.after.to_dict(),
            "summary": self.counts(),
            "new": [c.to_dict() for c in self.new],
            "resolved": [c.to_dict() for c in self.resolved],
            "still_failing": [c.to_dict() for c in self.still_failing],
            "unjudged": [c.to_dict() for c in self.unjudged],
        }


def _order(changes: list[Change]) -> tuple[Change, ...]:
    return tuple(
        sorted(
            changes,
            key=lambda c: (
                -c.finding.severity,
                c.finding.rule_id,
                c.finding.instance.lower(),
                c.finding.resource_id.lower(),
            ),
        )
    )


def compare(
    before: ScanRecord | None,
    before_findings: list[StoredFinding],
    after: ScanRecord,
    after_findings: list[StoredFinding],
    after_rules: set[str],
) -> Diff:
    """Classify every failure of either scan (pure: no database access)."""
    # "Failing before" is the last judged state: an unjudged finding that carries a first-seen
    # date was failing when last judged (see store._first_seen).
    was_failing = {
        f.key: f
        for f in before_findings
        if f.status in _FAILING or (f.status is Status.ERROR and f.first_seen)
    }
    now = {f.key: f for f in after_findings}
    judged_resources = {f.resource_id.lower() for f in after_findings}
    new: list[Change] = []
    still: list[Change] = []
    resolved: list[Change] = []
    unjudged: list[Change] = []
    for key, finding in now.items():
        if finding.status not in _FAILING:
            continue
        if key in was_failing:
            grown = _grown(was_failing[key], finding)
            change = Change(finding, first_seen=finding.first_seen, new_offenders=grown)
            (new if grown else still).append(change)
        else:
            new.append(Change(finding, first_seen=finding.first_seen))
    for key, old in was_failing.items():
        current = now.get(key)
        if current is None:
            if old.rule_id not in after_rules:
                unjudged.append(Change(old, NOT_EVALUATED, old.first_seen))
            elif old.resource_id.lower() not in judged_resources:
                resolved.append(Change(old, RESOURCE_GONE, old.first_seen))
            else:
                # The resource is still judged but this rule said nothing about it: it left
                # the rule's scope (e.g. no longer integrated), which is not a fix either.
                unjudged.append(Change(old, NOT_EVALUATED, old.first_seen))
        elif current.status is Status.ERROR:
            unjudged.append(Change(current, NOW_ERROR, old.first_seen))
        elif current.status in _RESOLVED_BY:
            resolved.append(Change(current, _RESOLVED_BY[current.status], old.first_seen))
    return Diff(before, after, _order(new), _order(resolved), _order(still), _order(unjudged))


def _grown(before: StoredFinding, after: StoredFinding) -> tuple[Any, ...]:
    """What ``after`` names that ``before`` did not (nothing when either was not recorded)."""
    if before.offenders is None or after.offenders is None:
        return ()
    return tuple(offender_ids.unrecorded(after.offenders, before.offenders))


def diff_scans(
    store: HistoryStore,
    from_ref: str | None = None,
    to_ref: str | None = None,
    scope: str | None = None,
) -> Diff:
    """The diff of two recorded scans; by default the latest and the one before it in its scope."""
    after = store.scan(to_ref or "latest", scope)
    if from_ref is None:
        before = store.previous(after)
        if before is None:
            raise HistoryError(
                f"scan {after.id} is the first of scope {after.scope!r}: nothing to compare "
                "it with (pass --from to compare with another scope's scan)"
            )
    else:
        before = store.scan(from_ref, scope)
        if before.id == after.id:
            raise HistoryError(f"--from and --to are the same scan ({after.id})")
    return compare(
        before,
        store.findings(before.id),
        after,
        store.findings(after.id),
        store.rules_of(after.id),
    )


def diff_recorded(
    store: HistoryStore,
    after: ScanRecord,
    *,
    gated: bool = False,
    fail_on: Severity | None = None,
) -> Diff:
    """The diff of a just-recorded scan against the previous scan of its scope, or (``gated``:
    for ``--fail-on-new``) against the last scan that gate accepted (``HistoryStore.reference``),
    so a failed run re-run compares with the same accepted scan again. Nothing earlier: all new.
    """
    before = store.reference(after, fail_on) if gated else store.previous(after)
    return compare(
        before,
        store.findings(before.id) if before else [],
        after,
        store.findings(after.id),
        store.rules_of(after.id),
    )
