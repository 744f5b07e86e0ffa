"""Rows Resource Graph does not index, read from ARM: private DNS zone groups of endpoints.

Only the private endpoints of the scanned instances' members are read, concurrently, and the
answers join the inventory in the shape of a Resource Graph row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.instances import InstanceSettings, build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Gap
from amlguard.scanner.sources.query import Stats

_log = logging.getLogger("amlguard.resourcegraph")

ZONE_GROUP_API = "2024-05-01"
Row = dict[str, Any]


def instance_endpoints(rows: Iterable[Row], settings: InstanceSettings) -> list[Row]:
    """The private endpoints connected to any member of any instance, once each."""
    inv = Inventory(rows)
    endpoints: dict[str, Row] = {}
    from amlguard.scanner.datastores import data_storage

    for inst in build_instances(inv, settings):
        workspaces = [inst.id, *(str(p["id"]) for p in inst.projects)]
        named = {ids.norm(account) for account, _group in data_storage(inv, workspaces)}
        for member in sorted(inst.members() | named):
            for pe, _conn in inv.endpoints_by_target.get(member, []):
                endpoints.setdefault(ids.norm(pe["id"]), pe)
    return list(endpoints.values())


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
    from azure.core.exceptions import AzureError
    from azure.core.rest import HttpRequest

    sub = ids.parse(pe["id"]).subscription_id
    url: str | None = f"{endpoint}{pe['id']}/privateDnsZoneGroups?api-version={ZONE_GROUP_API}"
    rows: list[Row] = []
    try:
        while url:
            stats.add(arm_gets=1)
            started = time.monotonic()
            response = client.send_request(HttpRequest("GET", url))
            _log.info(
                "GET zone groups of %s: HTTP %s in %.3f s",
                pe["id"],
                response.status_code,
                time.monotonic() - started,
            )
            # Any answer but 200 (404 too: the endpoint's zone groups cannot be told from none).
            if response.status_code != 200:
                return rows, Gap(
                    f"cannot read the private DNS zone groups of {pe['id']}: HTTP "
                    f"{response.status_code} {_arm_error(response)}",
                    sub,
                )
            body = response.json()
            items = body.get("value") if isinstance(body, dict) else None
            link = body.get("nextLink") if isinstance(body, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                # {"value": "nope"}, {} and {"value": null} are not "no zone groups".
                return rows, Gap(
                    f"cannot read the private DNS zone groups of {pe['id']}: the answer is "
                    "not an ARM list (no 'value' array of objects)",
                    sub,
                )
            rows.extend(as_row(item, pe) for item in items)
            url = link if isinstance(link, str) and link else None
    except ValueError:  # not JSON
        return rows, Gap(f"cannot read the private DNS zone groups of {pe['id']}: not JSON", sub)
    except AzureError as exc:
        return rows, Gap(f"cannot read the private DNS zone groups of {pe['id']}: {exc}", sub)
    stats.add(rows=len(rows))
    return rows, None


def _arm_error(response: Any) -> str:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return ""
    return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")


def as_row(body: Row, pe: Row) -> Row:
    """An ARM GET body in the shape of a Resource Graph row (the columns ``kql`` projects)."""
    rid = str(body.get("id") or "")
    parts = ids.parse(rid)
    return {
        "id": rid,
        "name": body.get("name") or rid.rsplit("/", 1)[-1],
        "type": str(body.get("type") or parts.type).lower(),
        "kind": body.get("kind") or "",
        "location": body.get("location") or pe.get("location") or "",
        "resourceGroup": parts.resource_group.lower(),
        "subscriptionId": parts.subscription_id,
        "tenantId": body.get("tenantId") or pe.get("tenantId") or "",
        "sku": body.get("sku"),
        "identity": body.get("identity"),
        "properties": body.get("properties") or {},
        "tags": body.get("tags") or {},
    }
