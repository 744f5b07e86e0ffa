"""Gaps narrowed to the findings that need what could not be read.

A read that fails is a gap: the scan is incomplete (exit 3). Most reads feed everything in
their subscriptions, so their gap covers those (``Gap.scope``). Some feed one judgement only:
the tenant-wide Virtual WAN hub query and the other DNS-resolution reads feed the private DNS
zones' resolution; the query for a hub's projects feeds that hub's instance; a zone's links feed
that zone. Their gaps name those resources (``Gap.resources``), so the findings on them are
``error`` and the rest are judged on what was read, instead of every finding turning ``error``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from amlguard.scanner import ids
from amlguard.scanner.model import Gap
from amlguard.scanner.sources.query import Scope

Job = tuple[str, str, Scope]
#: what a failed job touches: the ids of the resources whose findings need its answer
Narrow = Callable[[Job], Iterable[str]]
#: ``Gap.resources`` of a gap no finding depends on (no resource id is spelled like this): the
#: scan is still incomplete, every finding is judged
NO_FINDING = frozenset({"(no finding depends on it)"})
_SHOWN = 3


def _short(resource_ids: list[str]) -> str:
    names = sorted({ids.short_name(r) for r in resource_ids})
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def narrowed(reason: str, touched: Iterable[str]) -> Gap:
    """A gap whose findings are those on (or of) ``touched``, its reason saying which."""
    wanted = sorted({ids.norm(t): t for t in touched if ids.norm(t)}.items())
    if not wanted:
        return Gap(f"{reason} (no finding depends on it)", resources=NO_FINDING)
    names = [rid for _key, rid in wanted]
    return Gap(
        f"{reason} (only the findings on {_short(names)} cannot be judged)",
        resources=frozenset(key for key, _rid in wanted),
    )


def named_in(job: Job, resource_ids: Iterable[str]) -> list[str]:
    """The ids among ``resource_ids`` a job's query text names (quoted, in any case)."""
    text = job[1].lower()
    return [r for r in resource_ids if f"'{ids.norm(r)}'" in text or f"'{ids.norm(r)}/" in text]


def renarrow(found: list[Gap], touched: Callable[[], Iterable[str]]) -> list[Gap]:
    """``found`` (gaps of reads that feed the same judgements) narrowed to ``touched()``."""
    if not found:
        return []
    targets = list(touched())
    return [narrowed(g.reason, targets) for g in found]


__all__ = ["NO_FINDING", "Narrow", "named_in", "narrowed", "renarrow"]
