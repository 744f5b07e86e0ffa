"""The values the history hands out: a recorded scan, a stored finding, a trend point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amlguard.scanner.model import Judgement, Status, review_dict

_FAILING = (Status.FAIL.value, Status.KNOWN.value)

#: A scan's ``--fail-on-new`` outcome, as the history keeps it.
GATE_OFF = "off"  # recorded without --fail-on-new: its failures are adopted as known
GATE_PASSED = "passed"
GATE_FAILED = "failed"
GATE_INCOMPLETE = "incomplete"  # exit 3: nothing was decided
#: outcomes whose failures a later --fail-on-new gate treats as known
GATE_ACCEPTS = (GATE_OFF, GATE_PASSED)


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """One recorded scan: when, what scope, which tool and rule pack, how complete, counts."""

    id: int
    scan_time: str
    recorded_at: str
    scope: str
    source_kind: str
    source_description: str
    tool_version: str
    pack_version: str
    pack_hash: str
    complete: bool
    gaps: tuple[str, ...]
    counts: dict[str, int]
    #: the scan's --fail-on-new outcome (GATE_*); None when recorded before history schema v6
    gate: str | None = None

    @property
    def failing(self) -> int:
        """How many findings of this scan failed."""
        return sum(self.counts.get(s, 0) for s in _FAILING)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a scan (``history list --format json``)."""
        return {
            "id": self.id,
            "scan_time": self.scan_time,
            "recorded_at": self.recorded_at,
            "scope": self.scope,
            "source": {"kind": self.source_kind, "description": self.source_description},
            "tool_version": self.tool_version,
            "rule_pack": {"version": self.pack_version, "hash": self.pack_hash},
            "complete": self.complete,
            "gaps": list(self.gaps),
            "counts": dict(self.counts),
            "gate": self.gate,
        }


@dataclass(frozen=True, slots=True)
class StoredFinding(Judgement):
    """A finding as the history holds it, with the time its failure was first seen."""

    path: str | None
    expected: Any
    actual: Any
    first_seen: str | None
    suppression: dict[str, Any] | None = None
    baseline_state: str | None = None
    #: what the failure named when last judged; None when not recorded (a scan before v5)
    offenders: tuple[Any, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: the report's finding shape without remediation, plus ``first_seen``."""
        return {
            **self.judgement_dict(),
            "path": self.path,
            "expected": self.expected,
            "actual": self.actual,
            "first_seen": self.first_seen,
            **({"offenders": list(self.offenders)} if self.offenders is not None else {}),
            **review_dict(self.suppression, self.baseline_state),
        }


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """Failing and unjudged counts of one scan, for the HTML report's trend chart."""

    scan_id: int
    scan_time: str
    failing: int
    errors: int
    complete: bool
