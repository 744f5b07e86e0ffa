"""The fleet overview every human format opens with: a headline counting workspaces, then one
line per workspace, worst first (worst failing severity, failing count, place, new failures)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.model import Finding, ScanResult, Severity, Status


@dataclass(slots=True)
class WorkspaceLine:
    """One workspace of the overview."""

    id: str
    name: str
    subscription: str
    resource_group: str
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    worst: Severity | None = None
    new: int = 0
    #: failures the baseline already knew (status known)
    known: int = 0

    @property
    def failing(self) -> int:
        """Failing findings of this workspace."""
        return self.counts[Status.FAIL]

    @property
    def errors(self) -> int:
        """Findings that could not be judged."""
        return self.counts[Status.ERROR]

    @property
    def state(self) -> str:
        """``fail``, ``error`` or ``ok``: what the line's mark says."""
        return "fail" if self.failing else "error" if self.errors else "ok"

    def sort_key(self) -> tuple[Any, ...]:
        """Worst first: failing (by severity, then count), then unjudged, then clean."""
        rank = {"fail": 0, "error": 1, "ok": 2}[self.state]
        worst = -1 if self.worst is None else int(self.worst)
        return (rank, -worst, -self.failing, -self.errors, -self.new, self.name.lower(), self.id)


def new_keys(extra: Mapping[str, Any]) -> set[str] | None:
    """The keys of failures new since the previous scan, or None when no history was used."""
    history = extra.get("history")
    if not history:
        return None
    return set(history.get("new_keys") or [])


def tracks_new(result: ScanResult, extra: Mapping[str, Any]) -> bool:
    """Whether this scan was compared with an earlier one (history or baseline)."""
    return bool(extra.get("history")) or result.baseline is not None


def is_new(finding: Finding, keys: set[str] | None) -> bool | None:
    """Whether a failure is new (history or baseline says so); None when nothing can tell."""
    if finding.baseline_state in ("new", "known"):
        return finding.baseline_state == "new"
    if keys is None:
        return None
    return finding.status is Status.FAIL and "|".join(finding.key) in keys


def lines(
    result: ScanResult, keys: set[str] | None = None, findings: Iterable[Finding] | None = None
) -> list[WorkspaceLine]:
    """One line per workspace, worst first."""
    out: dict[str, WorkspaceLine] = {}
    for inst in result.instances:
        parts = ids.parse(inst.id)
        out[ids.norm(inst.id)] = WorkspaceLine(
            inst.id, inst.name, parts.subscription_id, parts.resource_group
        )
    for f in result.findings if findings is None else findings:
        line = out.get(ids.norm(f.instance))
        if line is None:
            continue
        line.counts[f.status] += 1
        if f.status is Status.KNOWN:
            line.known += 1
        if f.status is Status.FAIL:
            if line.worst is None or f.severity > line.worst:
                line.worst = f.severity
            if is_new(f, keys):
                line.new += 1
    return sorted(out.values(), key=WorkspaceLine.sort_key)


def headline(rows: list[WorkspaceLine], history: bool = False) -> str:
    """ "2 of 3 workspaces drifted: 1 with high failures, 1 with medium; 1 with new failures"."""
    total = len(rows)
    if not total:
        return "No Azure Machine Learning workspace was found."
    drifted = [r for r in rows if r.failing]
    unjudged = sum(1 for r in rows if r.errors)
    noun = "workspace" if total == 1 else "workspaces"
    text = f"{len(drifted)} of {total} {noun} drifted"
    by_sev: dict[Severity, int] = {}
    for r in drifted:
        assert r.worst is not None
        by_sev[r.worst] = by_sev.get(r.worst, 0) + 1
    parts = [
        f"{n} with {sev.label} failures" if i == 0 else f"{n} with {sev.label}"
        for i, (sev, n) in enumerate(sorted(by_sev.items(), reverse=True))
    ]
    if parts:
        text += ": " + ", ".join(parts)
    extras = []
    if unjudged:
        extras.append(f"{unjudged} not fully judged")
    if history or any(r.new for r in rows):
        extras.append(f"{sum(1 for r in rows if r.new)} with new failures")
    return text + ("; " + "; ".join(extras) if extras else "") + "."


def rule_index(result: ScanResult) -> dict[str, Any]:
    """The rules that ran, by id (title, tags, remediation for the formats that show them)."""
    return {rule.id: rule for rule in result.rules}
