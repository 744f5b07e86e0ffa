"""One paged ARM list read, shared by every reader of rows Resource Graph does not index.

The answer must be an ARM list (``{"value": [objects], "nextLink": ...}``) on every page: a
non-JSON body, ``{"value": "nope"}``, ``{}`` or a non-200 answer is a ``Gap`` naming the parent
and what was listed, never "no items". A 404 means "the parent is gone" only where the caller
says so (a child list of a workspace deleted after the query), else it is a gap too.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.model import Gap
from amlguard.scanner.sources.query import Stats

_log = logging.getLogger("amlguard.resourcegraph")
Row = dict[str, Any]


def read_list(
    client: Any,
    url: str,
    parent_id: str,
    what: str,
    stats: Stats,
    *,
    missing_is_empty: bool = False,
) -> tuple[list[Row], Gap | None]:
    """Every item of the paged list at ``url``, or the items read so far and a gap."""
    from azure.core.exceptions import AzureError
    from azure.core.rest import HttpRequest

    sub = ids.parse(parent_id).subscription_id
    items: list[Row] = []
    next_url: str | None = url

    def gap(why: str) -> tuple[list[Row], Gap]:
        return items, Gap(f"cannot read the {what} of {parent_id}: {why}", sub)

    try:
        while next_url:
            stats.add(arm_gets=1)
            started = time.monotonic()
            response = client.send_request(HttpRequest("GET", next_url))
            _log.info(
                "GET %s of %s: HTTP %s in %.3f s",
                what,
                parent_id,
                response.status_code,
                time.monotonic() - started,
            )
            if response.status_code == 404 and missing_is_empty:
                return items, None
            if response.status_code != 200:
                return gap(f"HTTP {response.status_code} {arm_error(response)}".rstrip())
            body = response.json()
            page = body.get("value") if isinstance(body, dict) else None
            if not isinstance(page, list) or not all(isinstance(i, dict) for i in page):
                return gap("the answer is not an ARM list (no 'value' array of objects)")
            items.extend(page)
            link = body.get("nextLink")
            next_url = link if isinstance(link, str) and link else None
    except ValueError:  # not JSON
        return gap("the answer is not JSON")
    except AzureError as exc:
        return gap(str(exc))
    stats.add(rows=len(items))
    return items, None


def arm_error(response: Any) -> str:
    """``code: message`` of an ARM error body, or "" when it has none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")


def as_row(body: Row, parent: Row) -> Row:
    """An ARM GET body in the shape of a Resource Graph row (the columns ``kql`` projects)."""
    rid = str(body.get("id") or "")
    parts = ids.parse(rid)
    return {
        "id": rid,
        "name": body.get("name") or rid.rsplit("/", 1)[-1],
        "type": str(body.get("type") or parts.type).lower(),
        "kind": body.get("kind") or "",
        "location": body.get("location") or parent.get("location") or "",
        "resourceGroup": parts.resource_group.lower(),
        "subscriptionId": parts.subscription_id,
        "tenantId": body.get("tenantId") or parent.get("tenantId") or "",
        "sku": body.get("sku"),
        "identity": body.get("identity"),
        "properties": body.get("properties") or {},
        "tags": body.get("tags") or {},
    }
