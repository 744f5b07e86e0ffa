"""Suppressions: accepted risks from the config file, applied to a scan's findings afterwards.

The engine stays pure: a suppression only turns a ``fail`` finding into ``suppressed`` with its
reason, after the scan. An ``error`` is never suppressed (it was not judged, so accepting it
would be a silent pass), an expired suppression stops applying and warns, and one that matched
no failing finding is reported as stale so the list does not rot.

A finding that names offenders (the NICs with public addresses of a VNet, a workspace's broad
outbound rules, its missing rules) is one finding for many items: a suppression accepts it only
when it lists the offenders it accepts (``offenders:``, ids or names) and the finding names no
other. Otherwise the failure stays and a warning names what to pin or what is new (redteam6
item 3: a suppression of one accepted broad rule kept a later ``*`` rule green).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from amlguard import offenders as offender_ids
from amlguard.excerpt import quoted
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, Status
from amlguard.scanner.wildcard import wildcard_match
from amlguard.textsafe import bounded, visible

#: An expiry further ahead than this is no expiry: it counts as a permanent suppression.
PERMANENT_AFTER_DAYS = 100 * 365


def _glob(text: str, pattern: str) -> bool:
    """``*`` any run (across ``/``), ``?`` one character; linear, never backtracking."""
    return wildcard_match(text, pattern, "?")


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


def rule_is_wildcard(rule: str, rule_ids: Iterable[str] = ()) -> bool:
    """Whether a rule pattern can match more than one rule: it holds ``*`` or ``?``, or
    matches more than one of ``rule_ids`` (the loaded pack's ids, when known)."""
    pattern = rule.strip().upper()
    if not pattern or _wild(pattern):
        return True
    return sum(1 for r in rule_ids if _glob(r.upper(), pattern)) > 1


def pinned_group(resource: str) -> tuple[str, str] | None:
    """The (subscription, resource group) every id a resource pattern matches lies in, both
    lower-cased; None when the pattern does not pin both (a wildcard in either segment, or
    a pattern shorter than a resource group id). ``*`` matches across ``/``, so only the
    literal prefix ``/subscriptions/<sub>/resourceGroups/<rg>`` followed by ``/`` or nothing
    pins them."""
    parts = resource.strip().split("/")
    if len(parts) < 5 or parts[0] != "":
        return None
    head = parts[1:5]
    if any(_wild(p) or not p.strip() for p in head):
        return None
    if head[0].lower() != "subscriptions" or head[2].lower() != "resourcegroups":
        return None
    return head[1].lower(), head[3].lower()


def bounded_problem(rule: str, resource: str, rule_ids: Iterable[str] = ()) -> str | None:
    """Why a suppression is unbounded on both axes (None when it is bounded on one).

    A suppression must name one rule, or pin the resources it accepts to one subscription and
    resource group; otherwise it can silence every rule across an estate and turns the audit
    off (``AMLG-*`` on ``*``, ``*`` on ``/subscriptions/*``)."""
    if not rule_is_wildcard(rule, rule_ids) or pinned_group(resource) is not None:
        return None
    if not rule.strip().strip("*?") and not resource.strip().strip("*?/"):
        return (
            "a suppression of every rule on every resource turns the audit off; "
            "name one rule, or pin one subscription and resource group"
        )
    return (
        f"rule pattern {quoted(rule.strip())} can match several rules and resource pattern "
        f"{quoted(resource.strip())} does not pin one subscription and resource group, so it could "
        "silence the audit across the estate; name one rule, or start the resource pattern "
        "with /subscriptions/<id>/resourceGroups/<name> (no wildcard in either)"
    )


def problem(
    rule: str,
    resource: str,
    expires: dt.date | None,
    allow_permanent: bool,
    today: dt.date,
    rule_ids: Iterable[str] = (),
) -> str | None:
    """Why a suppression written in a config file is refused (None when it is acceptable).

    One unbounded on both axes (see :func:`bounded_problem`) turns the audit off; an expiry a
    century away (``9999-12-31``) is a permanent suppression and needs
    ``allow_permanent_suppressions``.
    """
    unbounded = bounded_problem(rule, resource, rule_ids)
    if unbounded:
        return unbounded
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


def _is_id(offender: Any) -> bool:
    return isinstance(offender, str) and offender.strip().startswith("/")


def _name_of(offender: Any) -> str:
    return offender_ids.label(offender).strip().lower()


def _unique_in(group_names: Callable[[str], Counter[str]] | None, group: str, name: str) -> bool:
    """Whether at most one resource of ``group`` in the scan carries ``name``."""
    return group_names is not None and group_names(group)[name] <= 1


def group_name_counter(inventory: Any) -> Callable[[str], Counter[str]]:
    """The names of a resource group's resources in ``inventory``, counted (memoised)."""
    seen: dict[str, Counter[str]] = {}

    def names(group: str) -> Counter[str]:
        counted = seen.get(group)
        if counted is None:
            rows = inventory.in_resource_group(group) if inventory is not None else []
            counted = seen[group] = Counter(
                _name_of(row.get("id")) for row in rows if isinstance(row, dict)
            )
        return counted

    return names


def _group_of(resource: Any) -> str:
    """``/subscriptions/{s}/resourcegroups/{rg}`` of an id, lower-cased ('' when it has none)."""
    if not isinstance(resource, str):
        return ""
    return ids.norm(ids.resource_group_scope(resource.strip()))


@dataclass(frozen=True, slots=True)
class Suppression:
    """One accepted risk: which rule on which resources, why, until when, approved by whom."""

    rule: str
    resource: str
    reason: str
    expires: dt.date | None = None
    approved_by: str | None = None
    source: str = ""
    #: the offenders accepted (ids or names, compared case-insensitively); None: not listed
    offenders: tuple[str, ...] | None = None

    def matches(self, finding: Finding) -> bool:
        """Rule id (or ``*``, or a glob) and resource id glob, both case-insensitive."""
        rule_ok = self.rule == "*" or _glob(finding.rule_id.upper(), self.rule.upper())
        return rule_ok and _glob(finding.resource_id.lower(), self.resource.lower())

    def unaccepted(
        self, finding: Finding, group_names: Callable[[str], Counter[str]] | None = None
    ) -> list[Any]:
        """The offenders ``finding`` names that this suppression does not list (all of them
        when it lists none); ``[NONE_NAMED]`` when the finding names none but the suppression
        lists some (an empty set is not what it accepted).

        A resource offender is listed by its id, or by its name only where the name cannot mean
        another resource: the offender is in the finding's resource group, no other offender
        of the finding has that name, and no other resource of that group in the scan has it
        either (``group_names``: the names of a group's resources, counted; without it a name
        never accepts a resource). Names are unique per resource group *and type* only: a
        storage account and a registry may share one, so a name that two resources of the group
        carry, or a NIC of the same name from another group, is a new offender until its id is
        listed (redteam8 item 2).
        """
        if self.offenders is None:
            return list(finding.offenders)
        if not finding.offenders and self.offenders:
            return [offender_ids.NONE_NAMED]  # the listed ones are gone; it fails for another
        listed = {o.strip().lower() for o in self.offenders}
        names = Counter(_name_of(o) for o in finding.offenders)
        home = _group_of(finding.resource_id)

        def by_name(o: Any) -> bool:
            name = _name_of(o)
            if name not in listed or names[name] != 1:
                return False
            if not _is_id(o):
                return True
            return bool(home) and _group_of(o) == home and _unique_in(group_names, home, name)

        return [
            o
            for o in finding.offenders
            if offender_ids.identity(o) not in listed and not by_name(o)
        ]

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
            **({"offenders": list(self.offenders)} if self.offenders is not None else {}),
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
    inventory: Any = None,
) -> Applied:
    """Mark matching failures ``suppressed`` (first matching suppression wins).

    ``inventory`` (the scan's) lets a suppression accept an offender by its name where no other
    resource of its group carries that name; without it only ids accept offenders.
    """
    group_names = group_name_counter(inventory) if inventory is not None else None
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
                    left = s.unaccepted(f, group_names)
                    if left:
                        warnings.append(_not_accepted(s, f, left))
                        continue
                    f = replace(f, status=Status.SUPPRESSED, suppression=s.record())
                    break
        out.append(f)
    for s, hit in zip(active, used, strict=True):
        if not hit and s.covers_rules(ran):
            warnings.append(f"stale {s.label()} matched no failing finding; remove it")
    return Applied(out, warnings)


def _not_accepted(s: Suppression, f: Finding, left: list[Any]) -> str:
    names = ", ".join(quoted(offender_ids.label(o)) for o in left[:5])
    more = f" and {len(left) - 5} more" if len(left) > 5 else ""
    if s.offenders is None:
        return (
            f"{s.label()} does not list the offenders it accepts, and {f.rule_id} on "
            f"{quoted(ids.short_if_id(f.resource_id))} names {names}{more}: the failure "
            "stands; list the accepted ones under 'offenders:' so a new one fails the gate"
        )
    if not f.offenders:
        return (
            f"{s.label()} accepts only the offenders it lists, and {f.rule_id} on "
            f"{quoted(ids.short_if_id(f.resource_id))} now fails naming none of them: the "
            "failure stands (it fails for another reason)"
        )
    listed = {o.strip().lower() for o in s.offenders}
    by_name = [o for o in left if _name_of(o) in listed]
    hint = ""
    if by_name:
        hint = (
            "; a name accepts only a resource in the finding's resource group whose name no "
            "other offender and no other resource of that group shares: list it by id ("
            + ", ".join(bounded(visible(str(o).strip())) for o in by_name[:5])
            + ")"
        )
    return (
        f"{s.label()} does not accept {names}{more}, which {f.rule_id} on "
        f"{quoted(ids.short_if_id(f.resource_id))} now names: the failure stands{hint}"
    )


def soon_expiring(suppressions: Iterable[Suppression], today: dt.date, days: int = 14) -> list[str]:
    """Warnings for suppressions that lapse within ``days``: a reminder before the gate fails."""
    out = []
    for s in suppressions:
        if s.expires is not None and not s.expired(today) and (s.expires - today).days < days:
            left = (s.expires - today).days
            out.append(f"{s.label()} expires on {s.expires} (in {left} day(s))")
    return out
