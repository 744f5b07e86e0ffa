"""Rows Resource Graph does not index, read from ARM: private DNS zone groups of endpoints.

Only the private endpoints of the scanned instances' members (and of the Azure Monitor private
link scopes that scope a member) are read, concurrently, and the
answers join the inventory in the shape of a Resource Graph row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from amlguard.scanner import ids, registrystores
from amlguard.scanner.datastores import data_storage
from amlguard.scanner.instances import InstanceSettings, build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.linked import scopes_by_linked_resource
from amlguard.scanner.model import Gap
from amlguard.scanner.sources.armlist import as_row, read_list
from amlguard.scanner.sources.query import Stats

__all__ = ["as_row", "instance_endpoints", "read_zone_groups"]

ZONE_GROUP_API = "2024-05-01"
Row = dict[str, Any]


def instance_endpoints(rows: Iterable[Row], settings: InstanceSettings) -> list[Row]:
    """The private endpoints connected to any member of any instance, once each."""
    inv = Inventory(rows)
    endpoints: dict[str, Row] = {}
    for inst in build_instances(inv, settings):
        workspaces = [inst.id, *(str(p["id"]) for p in inst.projects)]
        named = {ids.norm(account) for account, _group in data_storage(inv, workspaces)}
        named |= {ids.norm(r) for r in registrystores.of_instances(inv, [inst])}
        named |= _scopes_of(inv, inst.members())  # an AMPLS's endpoints (AMLG-250)
        for member in sorted(inst.members() | named):
            for pe, _conn in inv.endpoints_by_target.get(member, []):
                endpoints.setdefault(ids.norm(pe["id"]), pe)
    return list(endpoints.values())


def _scopes_of(inv: Inventory, members: Iterable[str]) -> set[str]:
    """The Azure Monitor private link scopes (normalised ids) that scope any of ``members``."""
    by_linked = scopes_by_linked_resource(inv)
    return {
        ids.norm(ids.parent_of_child(str(s["id"]), "scopedResources"))
        for m in members
        for s in by_linked.get(m, [])
    }


def read_zone_groups(
    client: Any,
    endpoint: str,
    endpoints: list[Row],
    stats: Stats,
    concurrency: int,
    on_done: Callable[[], None] | None = None,
) -> tuple[list[Row], list[Gap]]:
    """Zone-group rows of every endpoint, and a gap for each endpoint that could not be read."""

    def one(pe: Row) -> tuple[list[Row], Gap | None]:
        try:
            return _read(client, endpoint, pe, stats)
        finally:
            if on_done:
                on_done()

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, endpoints))
    rows = [r for got, _ in results for r in got]
    return rows, [gap for _, gap in results if gap is not None]


def _read(client: Any, endpoint: str, pe: Row, stats: Stats) -> tuple[list[Row], Gap | None]:
    # Any answer but 200 (404 too: the endpoint's zone groups cannot be told from none) is a gap.
    url = f"{endpoint}{pe['id']}/privateDnsZoneGroups?api-version={ZONE_GROUP_API}"
    items, gap = read_list(client, url, str(pe["id"]), "private DNS zone groups", stats)
    return [as_row(item, pe) for item in items], gap
