"""Child rows Resource Graph does not index, listed through ARM for what the scan needs only.

Workspace connections and computes (of the scanned workspaces: integration discovery, E2, and
the customer-VNet rules), datastores, the feature sets of feature stores and their versions
(AMLG-203: read with the datastores, since both name the storage the instance integrates), and
the virtual network links and forwarding rules of DNS forwarding rulesets (AMLG-301 case c).
Each parent is one paged ARM list, run concurrently (feature set versions in a second round, once
their feature sets are known); a parent that cannot be read is a ``Gap`` in its subscription,
never a silent pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from amlguard.scanner import inventory
from amlguard.scanner.datastores import DATASTORE
from amlguard.scanner.dns import FORWARDING_RULE, RULESET, RULESET_LINK
from amlguard.scanner.featuresets import FEATURE_STORE_KIND, FEATURESET
from amlguard.scanner.instances import custom_vnet
from amlguard.scanner.integration import CONNECTION
from amlguard.scanner.model import Gap
from amlguard.scanner.outbound_sources import ALL_COMPUTES
from amlguard.scanner.sources.armlist import as_row, read_list
from amlguard.scanner.sources.query import Stats

COMPUTE = "microsoft.machinelearningservices/workspaces/computes"
__all__ = [
    "ALL_COMPUTES",
    "COMPUTE",
    "CONNECTION",
    "DATASTORE",
    "listings",
    "may_be_custom_vnet",
    "read_children",
]
MLS_API = "2024-10-01"
DNS_RESOLVER_API = "2022-07-01"
Row = dict[str, Any]
#: (parent row, child collection segment, api-version, what it is in words)
Listing = tuple[Row, str, str, str]


def may_be_custom_vnet(workspace: Row) -> bool:
    """Whether some ``network_isolation`` (setting or tag) could judge ``workspace`` as a
    customer-VNet workspace: no managed network (isolationMode Disabled or absent), not a hub
    or a project. Its computes are listed whatever the scan's setting says, so a snapshot
    serves a check under any isolation, and a tag the audited team sets cannot hide them from
    a setting the auditor fixed (REPORT #5)."""
    return custom_vnet(workspace, "custom", fixed=True)


def listings(rows: Iterable[Row], types: Iterable[str]) -> list[Listing]:
    """The child lists the needed ``types`` call for, given the rows read so far (computes of
    every workspace that may be a customer-VNet workspace, or of all with ``ALL_COMPUTES``)."""
    wanted = {t.lower() for t in types}
    out: list[Listing] = []
    for row in rows:
        rtype = str(row.get("type") or "").lower()
        if rtype == inventory.WORKSPACE:
            if CONNECTION in wanted:
                out.append((row, "connections", MLS_API, "workspace connections"))
            if COMPUTE in wanted and (ALL_COMPUTES in wanted or may_be_custom_vnet(row)):
                out.append((row, "computes", MLS_API, "workspace computes"))
            if DATASTORE in wanted:
                out.append((row, "datastores", MLS_API, "workspace datastores"))
                if str(row.get("kind") or "").strip().lower() == FEATURE_STORE_KIND:
                    out.append((row, "featuresets", MLS_API, "feature sets"))
        elif rtype == RULESET:
            if RULESET_LINK in wanted:
                out.append((row, "virtualNetworkLinks", DNS_RESOLVER_API, "ruleset links"))
            if FORWARDING_RULE in wanted:
                out.append((row, "forwardingRules", DNS_RESOLVER_API, "forwarding rules"))
    return out


def read_children(
    client: Any, endpoint: str, jobs: list[Listing], stats: Stats, concurrency: int
) -> tuple[list[Row], list[Gap]]:
    """Every child row of every listing, and a gap for each listing that could not be read;
    the versions of every feature set read are listed in a second round."""

    def one(job: Listing) -> tuple[list[Row], Gap | None]:
        return _read(client, endpoint, job, stats)

    if not jobs:
        return [], []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(one, jobs))
        rows = [r for got, _ in results for r in got]
        versions: list[Listing] = [
            (r, "versions", MLS_API, "feature set versions")
            for r in rows
            if str(r.get("type") or "").lower() == FEATURESET
        ]
        results += list(pool.map(one, versions))
    rows += [r for got, _ in results[len(jobs) :] for r in got]
    return rows, [g for _, g in results if g is not None]


def _read(client: Any, endpoint: str, job: Listing, stats: Stats) -> tuple[list[Row], Gap | None]:
    parent, segment, api, what = job
    url = f"{endpoint}{parent['id']}/{segment}?api-version={api}"
    # 404: the parent was deleted after the query, nothing to judge.
    items, gap = read_list(client, url, str(parent["id"]), what, stats, missing_is_empty=True)
    return [_secretless(as_row(item, parent)) for item in items], gap


_SECRET_KEYS = {"credentials", "secrets", "key", "keys", "password", "connectionstring"}


def _secretless(row: Row) -> Row:
    """A connection row without credential fields: only its target and metadata are read, and
    a snapshot must never hold a secret (the list API redacts them; this does not rely on it).
    A URL target keeps scheme, host and path only: its query (a SAS token) and any password
    in its user info are dropped (a storage account is found by its host)."""
    props = row.get("properties")
    if isinstance(props, dict) and any(str(k).lower() in _SECRET_KEYS for k in props):
        props = {k: v for k, v in props.items() if str(k).lower() not in _SECRET_KEYS}
        row["properties"] = props
    if isinstance(props, dict):
        for key, value in list(props.items()):
            if str(key).lower() == "target" and isinstance(value, str) and "://" in value:
                props[key] = _url_without_secrets(value)
    return row


def _url_without_secrets(url: str) -> str:
    """``url`` without query, fragment or user-info password."""
    base = url.split("?", 1)[0].split("#", 1)[0]
    scheme, _, rest = base.partition("://")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        user, _, host = authority.rpartition("@")
        authority = f"{user.split(':', 1)[0]}@{host}"
    return f"{scheme}://{authority}{slash}{path}"
