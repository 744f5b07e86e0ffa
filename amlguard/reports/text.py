"""Phrases every report format words the same way: names, values, suppressions, gaps, baselines.

Each format escapes or styles these for its medium (XML, Markdown, HTML, a terminal); the words
themselves are decided once, here, so a finding reads alike in every report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amlguard.scanner.ids import short_if_id, short_name  # noqa: F401  (re-exported for the formats)
from amlguard.scanner.model import ABSENT_TEXT, Finding, Gap, ScanResult, Severity, Status


def value_text(value: Any) -> str:
    """A finding's expected/actual value in full: "absent", true/false, or a comma list."""
    if value is None:
        return ABSENT_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def suppression_text(
    suppression: Mapping[str, Any] | None,
    *,
    cite_source: bool = False,
    reason_required: bool = False,
) -> str:
    """Why a finding is suppressed, then its expiry and approver in brackets.

    ``cite_source`` adds where a configured suppression is written (the CI formats point a
    reviewer at it); ``reason_required`` says "suppressed" rather than nothing for a blank reason.
    """
    suppression = suppression or {}
    if reason_required:
        reason = str(suppression.get("reason") or "suppressed")
    else:
        reason = str(suppression.get("reason", ""))
    extras = [f"expires {suppression['expires']}"] if suppression.get("expires") else []
    if suppression.get("approved_by"):
        extras.append(f"approved by {suppression['approved_by']}")
    if cite_source and suppression.get("source") and suppression.get("kind") == "suppression":
        extras.append(f"at {suppression['source']}")
    return f"{reason} ({'; '.join(extras)})" if extras else reason


def gap_text(gap: Gap) -> str:
    """What a scan could not read, with the scope it concerns in brackets."""
    return f"{gap.reason} [{gap.scope}]" if gap.scope else gap.reason


def baseline_summary(baseline: Mapping[str, Any]) -> str:
    """One line on a ``check --baseline`` comparison: the file, then new, known and resolved."""
    return (
        f"baseline {baseline['file']}: {baseline['new']} new, {baseline['known']} known, "
        f"{len(baseline['resolved'])} resolved"
    )


def failure_text(finding: Finding) -> str:
    """Expected, actual, path, resource and remediation: what a CI test tab shows."""
    lines = [f"resource: {finding.resource_id}"]
    if finding.expected is not None:
        lines.append(f"expected: {value_text(finding.expected)}")
    lines.append(f"actual:   {value_text(finding.actual)}")
    if finding.path:
        lines.append(f"path:     {finding.path}")
    if finding.remediation:
        lines.append("remediation:")
        lines.extend(f"  {line}" for line in finding.remediation.splitlines())
    return "\n".join(lines)


def verdict(result: ScanResult, fail_on: Severity | None) -> str:
    """One line a human reads first: passed, failed, or could not judge everything.

    With ``--fail-on-new`` (``result.gate``) it describes that gate, new against known
    failures, so it never contradicts the exit code.
    """
    failing = [f for f in result.findings if f.status is Status.FAIL]
    errors = [f for f in result.findings if f.status is Status.ERROR]
    label = fail_on.label if fail_on else ""
    if errors or not result.source.complete:
        return f"INCOMPLETE: {len(errors)} finding(s) could not be judged; {len(failing)} failing."
    gate = result.gate or {}
    if gate.get("mode") == "new":
        new, known = int(gate.get("new", 0)), int(gate.get("known", 0))
        ref = gate.get("reference")  # (scan id, why it counts): the last scan the gate accepted
        if new and fail_on is not None:
            if ref:
                where = f" (not in scan {int(ref[0])}, {ref[1]})"
            elif gate.get("earlier"):
                where = " (no earlier scan of this scope passed this gate)"
            else:
                where = ""
            return (
                f"FAILED the gate: {new} new failure(s) at or above {label}{where}; {known} known."
            )
        since = f" (since scan {int(ref[0])})" if ref and known else ""
        return (
            f"PASSED the gate: 0 new failures at or above {label or 'any severity'}; "
            f"{known} known{since}."
        )
    gated = [f for f in failing if fail_on is not None and f.severity >= fail_on]
    if gated:
        return f"FAILED: {len(gated)} failing finding(s) at or above {label}."
    if failing:
        return f"PASSED the gate: {len(failing)} failing finding(s) below the --fail-on threshold."
    if not result.instances:
        return "PASSED: no Azure Machine Learning workspace was found, so nothing was judged."
    known = sum(f.status is Status.KNOWN for f in result.findings)
    suppressed = sum(f.status is Status.SUPPRESSED for f in result.findings)
    if suppressed or known:
        parts = [f"{suppressed} suppressed"] if suppressed else []
        parts += [f"{known} known from the baseline"] if known else []
        return f"PASSED: no failing finding; {', '.join(parts)}."
    return "PASSED: every judged resource follows the blueprint."
