"""The regional storage accounts and container registries of the AML registries the scanned
instances integrate, read by id from ARM when the scope's queries did not return them (their
managed resource group is often outside ``--resource-group`` or in another subscription).

Only registries of scanned instances, only ids the rows lack, once each, concurrently. A 404 is
a deleted resource (AMLG-241 is ``error`` "outside the scan scope or deleted"); any other
failure (403, a malformed answer) is a gap scoped to that resource id alone, so the finding
that needs it is ``error`` naming it and everything else is still judged.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.instances import InstanceSettings, build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Gap
from amlguard.scanner.registrystores import AML_REGISTRY, of_instances
from amlguard.scanner.sources import armbyid
from amlguard.scanner.sources.query import Stats

Row = dict[str, Any]


def wanted(rows: list[Row], settings: InstanceSettings) -> list[str]:
    """The regional resource ids of the instances' registries that ``rows`` lack."""
    if not any(str(r.get("type") or "").lower() == AML_REGISTRY for r in rows):
        return []  # the common case costs one pass, no instance assembly
    inv = Inventory(rows)
    named = of_instances(inv, build_instances(inv, settings))
    return [rid for rid in named if inv.get(rid) is None and ids.parse(rid).subscription_id]


def read(
    client: Any, endpoint: str, resource_ids: list[str], stats: Stats, concurrency: int
) -> tuple[list[Row], list[Gap]]:
    """Their rows from ARM GETs, and a gap (scoped to the resource id) for each unreadable."""
    return armbyid.read(client, endpoint, resource_ids, stats, concurrency, gap_per_resource=True)
