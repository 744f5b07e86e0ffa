"""Which earlier scan a ``--fail-on-new`` gate compares with (redteam10b #1).

A failure is "known" only if it was failing in the most recent earlier scan of the same scope
that the gate accepted: one recorded with the gate off (``check --history`` without
``--fail-on-new``: the adopting scan), or one that passed its own gate. A scan that failed its
gate, or could not decide (exit 3), accepts nothing, so re-running a failed CI job compares with
the same accepted scan again and fails again.

A scan recorded before history schema v6 has no recorded outcome. It is accepted only when it
would have passed even a plain ``--fail-on`` gate at today's threshold: complete, nothing
unjudged, and no failure at or above the threshold (fail closed, but an old history whose
last scans were clean keeps working without a new adopting scan).
"""

from __future__ import annotations

import sqlite3

from amlguard.history.records import GATE_ACCEPTS
from amlguard.scanner.model import Severity

#: above every severity: with ``--fail-on none`` no failure stops an old scan from counting
_NO_THRESHOLD = 1 << 30
_ACCEPTS = ", ".join(f"'{g}'" for g in GATE_ACCEPTS)  # constants of ours, not user data

_LATEST_ACCEPTED = f"""
SELECT s.id FROM scans s
WHERE s.scope = ? AND s.id < ? AND (
    s.gate IN ({_ACCEPTS})
    OR (s.gate IS NULL AND s.complete = 1 AND NOT EXISTS (
        SELECT 1 FROM findings f WHERE f.scan_id = s.id
        AND (f.status = 'error' OR (f.status = 'fail' AND f.severity >= ?))))
)
ORDER BY s.id DESC LIMIT 1
"""


def latest_accepted(
    conn: sqlite3.Connection, scope: str, before_id: int, fail_on: Severity | None
) -> int | None:
    """The id of the newest scan of ``scope`` before ``before_id`` the gate accepted, if any."""
    threshold = int(fail_on) if fail_on is not None else _NO_THRESHOLD
    row = conn.execute(_LATEST_ACCEPTED, (scope, before_id, threshold)).fetchone()
    return int(row[0]) if row else None


def why_accepted(gate: str | None, label: str) -> str:
    """Why a reference scan counts, for the verdict: "the last scan that passed this gate"."""
    if gate == "passed":
        return "the last scan that passed this gate"
    if gate == "off":
        return "the last scan recorded without --fail-on-new"
    return f"the last scan with no failure at or above {label or 'the threshold'}"
