"""Suppressions: accepted risks from the config file, applied to a scan's findings afterwards.

The engine stays pure: a suppression only turns a ``fail`` finding into ``suppressed`` with its
reason, after the scan. An ``error`` is never suppressed (it was not judged, so accepting it
would be a silent pass), an expired suppression stops applying and warns, and one that matched
no failing finding is reported as stale so the list does not rot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from amlguard.scanner.model import Finding, Status
from amlguard.scanner.wildcard import wildcard_match

#: An expiry further ahead than this is no expiry: it counts as a permanent suppression.
PERMANENT_AFTER_DAYS = 100 * 365


def _glob(text: str, pattern: str) -> bool:
    """``*`` any run (across ``/``), ``?`` one character; linear, never backtracking."""
    return wildcard_match(text, pattern, "?")


def _matches_everything(pattern: str) -> bool:
    return bool(pattern) and not pattern.strip("*?/")


def problem(
    rule: str, resource: str, expires: dt.date | None, allow_permanent: bool, today: dt.date
) -> str | None:
    """Why a suppression written in a config file is refused (None when it is acceptable).

    One that accepts every rule on every resource turns the audit off; an expiry a century
    away (``9999-12-31``) is a permanent suppression and needs ``allow_permanent_suppressions``.
    """
    if rule.strip() == "*" and _matches_everything(resource.strip()):
        return (
            "a suppression of every rule on every resource turns the audit off; "
            "name a rule or a resource"
        )
    if expires is None:
        if allow_permanent:
            return None
        return "an 'expires' date is required (or set 'allow_permanent_suppressions: true')"
    if (expires - today).days > PERMANENT_AFTER_DAYS and not allow_permanent:
        return (
            f"expires {expires.isoformat()} is more than {PERMANENT_AFTER_DAYS // 365} years "
            "away, which is permanent; give a real review date (or set "
            "'allow_permanent_suppressions: true')"
        )
    return None


@dataclass(frozen=True, slots=True)
class Suppression:
    """One accepted risk: which rule on which resources, why, until when, approved by whom."""

    rule: str
    resource: str
    reason: str
    expires: dt.date | None = None
    approved_by: str | None = None
    source: str = ""

    def matches(self, finding: Finding) -> bool:
        """Rule id (or ``*``, or a glob) and resource id glob, both case-insensitive."""
        rule_ok = self.rule == "*" or _glob(finding.rule_id.upper(), self.rule.upper())
        return rule_ok and _glob(finding.resource_id.lower(), self.resource.lower())

    def expired(self, today: dt.date) -> bool:
        """Still valid on the expiry day itself; expired from the day after."""
        return self.expires is not None and today > self.expires

    def covers_rules(self, rule_ids: Iterable[str]) -> bool:
        """Whether any rule that ran could match (else 'matched nothing' says nothing)."""
        return self.rule == "*" or any(_glob(r.upper(), self.rule.upper()) for r in rule_ids)

    def label(self) -> str:
        """How warnings name this suppression: where it is written and what it targets."""
        where = f"{self.source} " if self.source else ""
        return f"suppression {where}({self.rule} on {self.resource})"

    def record(self) -> dict[str, Any]:
        """What a suppressed finding carries, shown by every report format."""
        return {
            "kind": "suppression",
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
            "approved_by": self.approved_by,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Applied:
    """The findings after suppressions, and the warnings the report must show."""

    findings: list[Finding]
    warnings: list[str]


def apply_suppressions(
    findings: list[Finding],
    suppressions: Iterable[Suppression],
    today: dt.date,
    rule_ids: Iterable[str] = (),
) -> Applied:
    """Mark matching failures ``suppressed`` (first matching suppression wins)."""
    ran = list(rule_ids) or sorted({f.rule_id for f in findings})
    active: list[Suppression] = []
    warnings: list[str] = []
    for s in suppressions:
        if s.expired(today):
            warnings.append(
                f"{s.label()} expired on {s.expires}; it no longer applies and its findings "
                "count again"
            )
        else:
            active.append(s)
    used = [False] * len(active)
    out: list[Finding] = []
    for f in findings:
        if f.status is Status.FAIL:
            for i, s in enumerate(active):
                if s.matches(f):
                    used[i] = True
                    f = replace(f, status=Status.SUPPRESSED, suppression=s.record())
                    break
        out.append(f)
    for s, hit in zip(active, used, strict=True):
        if not hit and s.covers_rules(ran):
            warnings.append(f"stale {s.label()} matched no failing finding; remove it")
    return Applied(out, warnings)


def soon_expiring(suppressions: Iterable[Suppression], today: dt.date, days: int = 14) -> list[str]:
    """Warnings for suppressions that lapse within ``days``: a reminder before the gate fails."""
    out = []
    for s in suppressions:
        if s.expires is not None and not s.expired(today) and (s.expires - today).days < days:
            left = (s.expires - today).days
            out.append(f"{s.label()} expires on {s.expires} (in {left} day(s))")
    return out
