"""Phase 1 of a live scan: which subscriptions it covers, read before anything else.

The subscriptions given (each one the caller cannot read is a gap naming it), the management
groups given (one scope; their subscriptions are listed so that what lies inside the scan is
known), or every readable subscription. The subscriptions' rows are kept: their management group
chains tell which role assignments at a management group cover them, and what the workspaces
name in other subscriptions is read with its own assignments (:func:`outside_subscriptions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amlguard.errors import ScanError
from amlguard.scanner import ids
from amlguard.scanner.model import Gap
from amlguard.scanner.sources import kql
from amlguard.scanner.sources.interface import Needs
from amlguard.scanner.sources.live import LiveScope
from amlguard.scanner.sources.livejobs import LIMIT_TEXT, Jobs, gaps_for
from amlguard.scanner.sources.query import QueryRunner, Scope
from amlguard.scanner.sources.scopes import subscription_ids

Row = dict[str, Any]

__all__ = ["ScopeRead", "outside_subscriptions", "read_scopes"]


@dataclass
class ScopeRead:
    """The scopes the row queries run over, and the subscriptions' rows read to find them."""

    scopes: list[Scope] = field(default_factory=list)
    subscriptions: list[Row] = field(default_factory=list)


def read_scopes(
    runner: QueryRunner, jobs: Jobs, scope: LiveScope, batch_size: int, gaps: list[Gap]
) -> ScopeRead:
    """The scopes of ``scope`` in batches of ``batch_size`` subscriptions (``jobs.readable``
    set to the readable ones); what cannot be read is a gap, or an error when nothing can."""
    jobs.readable = ()
    if scope.management_groups:
        return _group_scopes(runner, jobs, scope, gaps)
    jobs.set_phase("subscriptions", 1)
    read = ScopeRead()
    if scope.subscriptions:
        readable = _check_subscriptions(runner, jobs, scope, batch_size, gaps, read)
    else:
        got = runner.run("subscriptions", kql.subscriptions(), Scope())
        jobs.stats.add(queries=1)
        if got.error:
            raise ScanError(f"cannot list the readable subscriptions: {got.error}")
        if got.limit_hit:
            gaps.append(Gap(LIMIT_TEXT))
        readable = sorted({str(r.get("subscriptionId") or "") for r in got.rows} - {""})
        read.subscriptions = list(got.rows)
        if not readable:
            raise ScanError("the identity can read no subscription (nothing to scan)")
    jobs.finished_one()
    jobs.readable = tuple(readable)
    jobs.stats.add(subscriptions=len(readable))
    read.scopes = [
        Scope(tuple(readable[i : i + batch_size])) for i in range(0, len(readable), batch_size)
    ]
    return read


def _group_scopes(runner: QueryRunner, jobs: Jobs, scope: LiveScope, gaps: list[Gap]) -> ScopeRead:
    """One scope, the management groups; their subscriptions are read first, so that what
    is inside the scan is known (referenced resources outside it, gaps scoped to one
    subscription) and their management group chains come with them."""
    jobs.set_phase("subscriptions", 1)
    groups = Scope(management_groups=scope.management_groups)
    got = runner.run("subscriptions", kql.subscriptions(), groups)
    jobs.stats.add(queries=1)
    jobs.finished_one()
    if got.error:
        gaps.append(Gap(f"cannot list the subscriptions of {groups.describe()}: {got.error}"))
    if got.limit_hit:
        gaps.append(Gap(LIMIT_TEXT))
    readable = sorted({str(r.get("subscriptionId") or "") for r in got.rows} - {""})
    jobs.readable = tuple(readable)
    jobs.stats.add(subscriptions=len(readable))
    return ScopeRead([groups], list(got.rows))


def _check_subscriptions(
    runner: QueryRunner,
    jobs: Jobs,
    scope: LiveScope,
    batch_size: int,
    gaps: list[Gap],
    read: ScopeRead,
) -> list[str]:
    """The given subscriptions the caller can read; a gap for each other one."""
    given = subscription_ids(runner, scope.subscriptions)
    wanted = list(dict.fromkeys(s.strip() for s in given if s.strip()))
    readable: set[str] = set()
    for i in range(0, len(wanted), batch_size):
        batch = Scope(tuple(wanted[i : i + batch_size]))
        got = runner.run("subscriptions", kql.subscriptions(), batch)
        jobs.stats.add(queries=1)
        if got.error and not got.forbidden:
            gaps.extend(gaps_for(batch, got.error, wanted))
            continue
        readable |= {str(r.get("subscriptionId") or "").lower() for r in got.rows}
        read.subscriptions += got.rows
    for sub in wanted:
        if sub.lower() not in readable and not any(g.scope == sub for g in gaps):
            gaps.append(
                Gap(
                    f"subscription {sub} cannot be read by the caller (forbidden or not found)", sub
                )
            )
    return [s for s in wanted if s.lower() in readable]


def outside_subscriptions(
    runner: QueryRunner,
    jobs: Jobs,
    read: ScopeRead,
    referenced: list[Row],
    needs: Needs,
    batch_size: int,
    gaps: list[Gap],
) -> list[Row]:
    """Role assignments and subscription rows of the subscriptions outside the scan that
    hold resources the workspaces name: AMLG-106 judges those resources too, and an approver
    grant on them (or above them) lives where they live. Unreadable, it is a gap."""
    scanned = {str(r.get("subscriptionId") or "").lower() for r in read.subscriptions}
    outside = {
        str(r.get("subscriptionId") or ids.parse(str(r.get("id"))).subscription_id)
        for r in referenced
    }
    subs = sorted((s for s in outside if s and s.lower() not in scanned), key=str.lower)
    if not subs:
        return []
    batch = [
        (name, text, Scope(tuple(subs[i : i + batch_size])))
        for i in range(0, len(subs), batch_size)
        for name, text in (
            ("subscriptions", kql.subscriptions()),
            ("role assignments", kql.role_assignments(needs.roles_to_read())),
        )
    ]
    return jobs.merge(batch, jobs.run_all(runner, batch, "outside subscriptions"), gaps)
