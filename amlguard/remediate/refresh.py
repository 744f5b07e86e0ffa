"""Plan from ARM, not from a lagging Resource Graph (issue 10, gate 5a).

Resource Graph can show a write minutes after ARM does, so a rerun right after a fix would plan
the same writes again. Before planning for real, ``--fix`` re-reads from ARM every resource the
draft plan is about to write (its targets, the resources its changes name, the workspace), lays
those bodies over the scanned rows, and scans and plans again from that: a rerun under lag then
writes nothing.

Call :func:`prepare_fresh` (or :func:`refresh_targets` plus a rescan) from ``check --fix``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from amlguard.remediate.clients import ArmError, RemediationClients
from amlguard.remediate.execute import read_all
from amlguard.remediate.plan import Plan, plan_reads
from amlguard.scanner import ids
from amlguard.scanner.model import SourceInfo
from amlguard.scanner.sources.interface import Collected, Needs, Source


@dataclass(slots=True)
class Refreshed:
    """The scanned rows with ARM's answers laid over them, and what was re-read."""

    rows: list[dict[str, Any]]
    reread: list[str] = field(default_factory=list)  # ids read from ARM
    changed: list[str] = field(default_factory=list)  # ids whose ARM body differs from the row
    errors: list[str] = field(default_factory=list)  # ids ARM would not answer for (row kept)


def _to_row(body: dict[str, Any]) -> dict[str, Any]:
    """An ARM GET body in Resource Graph's row shape (lower-case type, group, subscription)."""
    row = dict(body)
    rid = str(row.get("id") or "")
    parts = ids.parse(rid)
    row["type"] = str(row.get("type") or parts.type).lower()
    row.setdefault("name", parts.name)
    if parts.resource_group:
        row.setdefault("resourceGroup", parts.resource_group.lower())
    if parts.subscription_id:
        row.setdefault("subscriptionId", parts.subscription_id)
    return row


def refresh_targets(
    plan: Plan,
    rows: list[dict[str, Any]],
    clients: RemediationClients,
    concurrency: int = 8,
) -> Refreshed:
    """``rows`` with every resource ``plan`` is about to write re-read from ARM (a resource ARM
    says is gone is removed; one ARM cannot answer for keeps its scanned row)."""
    wanted = plan_reads(plan)
    reads = read_all(clients, wanted, concurrency)
    by_id = {ids.norm(r.get("id")): r for r in rows}
    out = Refreshed(rows=[])
    for key, body in reads.items():
        if isinstance(body, ArmError):
            out.errors.append(f"{key}: {body}")
            continue
        out.reread.append(key)
        old = by_id.get(key)
        if body is None:
            if old is not None:
                out.changed.append(key)
            by_id.pop(key, None)
            continue
        row = _to_row(body)
        if old is None or _comparable(old) != _comparable(row):
            out.changed.append(key)
        by_id[key] = {**(old or {}), **row}
    out.rows = list(by_id.values())
    return out


def _comparable(row: dict[str, Any]) -> Any:
    return row.get("properties"), row.get("sku"), row.get("identity")


class RowsSource(Source):
    """Replays rows already collected (with the original source's description)."""

    def __init__(self, rows: list[dict[str, Any]], info: SourceInfo) -> None:
        self.rows = rows
        self.info = info

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        return Collected(list(self.rows), self.info)


def prepare_fresh(
    source: Source,
    pack: Any,
    rules: list[Any],
    options: Any,
    only: list[str],
    clients: RemediationClients,
    concurrency: int = 8,
) -> Any:
    """Scan, re-read what the draft plan would write from ARM, then scan and plan again from
    those rows: the returned ``Prepared`` plans nothing that ARM shows is already done."""
    from amlguard.remediate.fix import prepare

    keep = _Keep(source)
    draft = prepare(keep, pack, rules, options, only, clients.get)
    if draft.plan.empty or keep.info is None:
        return draft
    fresh = refresh_targets(draft.plan, draft.rows, clients, concurrency)
    if not fresh.changed:
        return draft
    # The source's gaps and header stay: a re-read never makes a gap disappear.
    info = replace(keep.info, stats={**keep.info.stats, "arm_rereads": len(fresh.reread)})
    return prepare(RowsSource(fresh.rows, info), pack, rules, options, only, clients.get)


class _Keep(Source):
    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self.info: SourceInfo | None = None

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        collected = self.inner.collect(needs, progress)
        self.info = collected.info
        return collected
