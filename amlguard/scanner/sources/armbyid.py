"""Resources the workspaces name that Resource Graph does not index, read by id from ARM.

Section 8 of real-estates.md doubts that Resource Graph indexes
``microsoft.machinelearningservices/registries`` (the stored supported-tables page does not list
them): a registry an outbound rule or connection names, which the ``id in~`` query did not
return, is read with an ARM GET instead of being reported as deleted. Only those ids, once each,
concurrently; a 404 is a deleted resource, any other failure a gap naming the id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.model import Gap
from amlguard.scanner.sources.armlist import arm_error, as_row
from amlguard.scanner.sources.query import Stats

_log = logging.getLogger("amlguard.resourcegraph")
Row = dict[str, Any]

#: types Resource Graph may not index, with the api-version their GET takes
ARM_ONLY = {"microsoft.machinelearningservices/registries": "2024-10-01"}
#: every type read here by id, with its api-version (an AML registry's system-created storage
#: account and container registry live in a managed resource group the scan may not cover)
API_VERSIONS = {
    **ARM_ONLY,
    "microsoft.storage/storageaccounts": "2023-05-01",
    "microsoft.containerregistry/registries": "2023-07-01",
}


def wanted(missing: Iterable[str], found: Iterable[Row]) -> list[str]:
    """The ids of ARM-only types among ``missing`` that ``found`` does not hold."""
    got = {ids.norm(r.get("id")) for r in found}
    return [rid for rid in missing if ids.norm(rid) not in got and ids.parse(rid).type in ARM_ONLY]


def read(
    client: Any,
    endpoint: str,
    resource_ids: list[str],
    stats: Stats,
    concurrency: int,
    *,
    gap_per_resource: bool = False,
) -> tuple[list[Row], list[Gap]]:
    """The rows of ``resource_ids`` read from ARM, and a gap for each that could not be read
    (scoped to its subscription, or with ``gap_per_resource`` to the resource id alone: the
    findings that need it are ``error`` naming it, the rest of the subscription is judged)."""
    if not resource_ids:
        return [], []

    def one(rid: str) -> tuple[Row | None, Gap | None]:
        return _get(client, endpoint, rid, stats, rid if gap_per_resource else None)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(one, resource_ids))
    return [r for r, _ in results if r is not None], [g for _, g in results if g is not None]


def _get(
    client: Any, endpoint: str, rid: str, stats: Stats, scope: str | None = None
) -> tuple[Row | None, Gap | None]:
    from azure.core.exceptions import AzureError
    from azure.core.rest import HttpRequest

    sub = scope or ids.parse(rid).subscription_id
    api = API_VERSIONS.get(ids.parse(rid).type, "")
    try:
        stats.add(arm_gets=1)
        started = time.monotonic()
        response = client.send_request(HttpRequest("GET", f"{endpoint}{rid}?api-version={api}"))
        _log.info(
            "GET %s: HTTP %s in %.3f s", rid, response.status_code, time.monotonic() - started
        )
        if response.status_code == 404:
            return None, None  # deleted: the finding says "outside the scan scope or deleted"
        if response.status_code != 200:
            return None, Gap(
                f"cannot read {rid}: HTTP {response.status_code} {arm_error(response)}", sub
            )
        body = response.json()
    except ValueError:
        return None, Gap(f"cannot read {rid}: not JSON", sub)
    except AzureError as exc:
        return None, Gap(f"cannot read {rid}: {exc}", sub)
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return None, Gap(f"cannot read {rid}: the answer is not a resource", sub)
    btype = body.get("type")
    if (isinstance(btype, str) and btype.strip().lower() != ids.parse(rid).type) or not isinstance(
        body.get("properties", {}), dict
    ):
        return None, Gap(f"cannot read {rid}: the answer is not a {ids.parse(rid).type}", sub)
    if ids.norm(body["id"]) != ids.norm(rid):
        # an answer about another resource must not stand in for the one asked about
        return None, Gap(f"cannot read {rid}: the answer is about another resource", sub)
    stats.add(rows=1)
    return as_row(body, {}), None
