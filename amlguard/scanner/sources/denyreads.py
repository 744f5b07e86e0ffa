"""Deny assignments read from ARM for a live scan (AMLG-106, redteam5 defect 19).

Resource Graph's ``authorizationresources`` table holds role assignments, role definitions
and classic administrators; deny assignments are not in it (Microsoft's announcement of the
table lists those three). A live scan whose rules ask about deny assignments (the
``approvalDenials`` related source) therefore lists them from the Authorization REST API, one
paged ``GET /subscriptions/{id}/providers/Microsoft.Authorization/denyAssignments`` per
subscription that holds a member of a scanned instance (the workspace, its projects, associated
and integrated resources of any type: whatever AMLG-106 may judge), concurrently (the list includes the deny assignments at, above
and below the subscription). Each row records the subscriptions whose list returned it
(``listedForSubscriptions``): that is how a deny assignment at a management-group scope is
known to cover a subscription. A list that cannot be read is a gap naming the subscription
(every finding there becomes ``error``, exit 3): a deny assignment nobody could read must not
let AMLG-106 pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from amlguard.scanner import ids
from amlguard.scanner.model import Gap

if TYPE_CHECKING:
    from amlguard.scanner.instances import InstanceSettings

DENY_ASSIGNMENT = "microsoft.authorization/denyassignments"
#: the row member naming the subscriptions whose list returned the row (scanner/denials.py)
LISTED_FOR = "listedForSubscriptions"
API_VERSION = "2022-04-01"
#: the related source that reads deny assignments (a rule naming it needs them)
RELATED = "approvaldenials"
#: parallel subscription lists (within the HTTP connection pool, as the other ARM reads)
CONCURRENCY = 8
Row = dict[str, Any]


def wanted(rules: Iterable[Any]) -> bool:
    """Whether any of ``rules`` reads deny assignments."""
    return any(RELATED in _related(getattr(rule, "raw", None)) for rule in rules)


def _related(node: Any) -> set[str]:
    out: set[str] = set()
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            if isinstance(cur.get("related"), str):
                out.add(cur["related"].lower())
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return out


def subscriptions(rows: Sequence[Row], settings: InstanceSettings) -> list[str]:
    """The subscriptions that hold a member of a scanned instance (workspace, projects,
    associated and integrated resources, whatever their type)."""
    from amlguard.scanner.instances import build_instances
    from amlguard.scanner.inventory import Inventory

    found: set[str] = set()
    for inst in build_instances(Inventory(rows), settings):
        members = [*inst.members(), *(ids.norm(p.get("id")) for p in inst.projects)]
        found.update(ids.parse(m).subscription_id.lower() for m in members)
    return sorted(s for s in found if s)


def read(factory: Any, subs: Sequence[str]) -> tuple[list[Row], list[Gap]]:
    """The deny assignments of ``subs`` as rows, and a gap per subscription not read."""
    from concurrent.futures import ThreadPoolExecutor

    from amlguard.scanner.sources.armlist import as_row, read_list
    from amlguard.scanner.sources.query import Stats

    if not subs:
        return [], []
    endpoint = factory.settings.endpoint
    client = factory.arm_pipeline()
    stats = Stats()

    def one(sub: str) -> tuple[str, list[Row], Gap | None]:
        parent = f"/subscriptions/{sub}"
        url = (
            f"{endpoint}{parent}/providers/Microsoft.Authorization/denyAssignments"
            f"?api-version={API_VERSION}"
        )
        items, gap = read_list(client, url, parent, "deny assignments", stats)
        return sub, items, gap

    try:
        with ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(subs))) as pool:
            results = list(pool.map(one, subs))
    finally:
        client.close()
    rows: dict[str, Row] = {}
    gaps: list[Gap] = []
    for sub, items, gap in results:  # in subscription order: the rows do not depend on timing
        if gap is not None:
            gaps.append(gap)
            continue
        for item in items:
            row = as_row(item, {})
            row["type"] = DENY_ASSIGNMENT
            kept = rows.setdefault(ids.norm(row.get("id")), row)
            kept.setdefault(LISTED_FOR, []).append(sub)
    return list(rows.values()), gaps


def add_deny_assignments(
    factory: Any,
    rows: list[Row],
    rules: Iterable[Any],
    gaps: list[Gap],
    settings: InstanceSettings,
) -> list[Row]:
    """``rows`` with the deny assignments of their instances' subscriptions when ``rules`` read
    them; ``gaps`` receives one per subscription whose list could not be read."""
    if not wanted(rules):
        return rows
    found, missing = read(factory, subscriptions(rows, settings))
    gaps.extend(missing)
    known = {ids.norm(r.get("id")) for r in rows}
    return [*rows, *(r for r in found if ids.norm(r.get("id")) not in known)]
