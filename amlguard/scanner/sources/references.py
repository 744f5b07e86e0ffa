"""What the scanned rows name but the scope's queries did not return, and how to ask for it.

Two kinds of reference leave the scan's scope in real tenants: the resources a workspace links
to or integrates (a registry in a shared subscription), and the private DNS zones its endpoints'
zone groups use, which Azure landing zones keep in a hub resource group of a connectivity
subscription. Both are fetched by id from whatever subscription holds them; a zone comes with
all its virtual network links, which is what AMLG-301 judges. A subscription outside the scan
that returns none of what was asked for may be unreadable rather than empty: that is a gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from amlguard.scanner import ids, inventory
from amlguard.scanner.datastores import DATASTORE, STORAGE, named_account
from amlguard.scanner.instances import ASSOCIATED_ROLES, user_outbound_destinations
from amlguard.scanner.integration import CONNECTION, connection_target, dependency_destinations
from amlguard.scanner.model import Gap
from amlguard.scanner.paths import get_key
from amlguard.scanner.sources import kql
from amlguard.scanner.sources.query import Scope

Row = dict[str, Any]
Job = tuple[str, str, Scope]

ID_CHUNK = 200  # ids per ``id in~`` query: keeps the query text short
ZONE_CHUNK = 50  # zones per links query (one ``startswith`` each)


def named_resources(rows: Iterable[Row], extra_ids: Iterable[str], gapped: set[str]) -> list[str]:
    """Ids the workspaces name (associated resources, outbound-rule destinations, ``extra_ids``)
    that are not among ``rows``, except in subscriptions already known to be unreadable."""
    rows = list(rows)
    extra = list(extra_ids)
    wanted: dict[str, str] = {}
    for ws in rows:
        if str(ws.get("type", "")).lower() != inventory.WORKSPACE:
            continue
        props = ws.get("properties") or {}
        named = [props.get(role) for role in ASSOCIATED_ROLES]
        named += user_outbound_destinations(ws) + dependency_destinations(ws) + extra
        for rid in named:
            _want(wanted, rid, gapped)
    accounts: set[str] | None = None
    for row in rows:
        kind = str(row.get("type", "")).lower()
        if kind == CONNECTION:
            _want(wanted, connection_target(row), gapped)
        elif kind == DATASTORE and (account := named_account(row)) and account[2]:
            # a datastore names its account by name (unique in a cloud): one the rows lack is
            # read by the id it implies, e.g. a project's account outside a -g filter
            if accounts is None:
                accounts = {str(r.get("name") or "").lower() for r in rows if _is_storage(r)}
            if account[0].lower() not in accounts:
                _want(wanted, account[2], gapped)
    return _missing(wanted, rows)


def _is_storage(row: Row) -> bool:
    return str(row.get("type", "")).lower() == STORAGE


def used_zones(rows: Iterable[Row], gapped: set[str]) -> list[str]:
    """Private DNS zones the zone groups among ``rows`` use that are not among ``rows``."""
    rows = list(rows)
    wanted: dict[str, str] = {}
    for group in rows:
        if str(group.get("type", "")).lower() != inventory.DNS_ZONE_GROUP:
            continue
        configs = get_key(group.get("properties") or {}, "privateDnsZoneConfigs") or []
        for cfg in configs if isinstance(configs, list) else []:
            props = get_key(cfg, "properties") if isinstance(cfg, dict) else None
            _want(wanted, get_key(props or {}, "privateDnsZoneId") or None, gapped)
    return _missing(wanted, rows)


def _want(wanted: dict[str, str], rid: Any, gapped: set[str]) -> None:
    key = ids.norm(rid) if isinstance(rid, str) else ""
    sub = ids.parse(key).subscription_id.lower() if key else ""
    if key and sub and sub not in gapped:
        wanted.setdefault(key, str(rid).strip())


def _missing(wanted: dict[str, str], rows: list[Row]) -> list[str]:
    have = {ids.norm(r.get("id")) for r in rows}
    return sorted((rid for key, rid in wanted.items() if key not in have), key=ids.norm)


def by_id_jobs(resource_ids: list[str], name: str = "referenced resources") -> list[Job]:
    """``id in~`` queries for these ids, each sent to the subscriptions that hold them."""
    return [
        (name, kql.resources_by_id(chunk), _scope_of(chunk))
        for chunk in _chunks(resource_ids, ID_CHUNK)
    ]


def zone_link_jobs(zone_ids: list[str]) -> list[Job]:
    """Queries for every virtual network link of these private DNS zones."""
    return [
        ("private DNS zone links", kql.zone_links(chunk), _scope_of(chunk))
        for chunk in _chunks(zone_ids, ZONE_CHUNK)
    ]


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _scope_of(resource_ids: list[str]) -> Scope:
    subs = {ids.parse(r).subscription_id for r in resource_ids}
    return Scope(tuple(sorted(subs, key=str.lower)))


def unconfirmed(
    missing: list[str], found: list[Row], readable: Iterable[str], gaps: list[Gap], what: str
) -> None:
    """A gap for each subscription outside the scan that returned none of ``missing``
    (``what`` says what they are, e.g. "resources the workspaces name").

    Resource Graph silently drops subscriptions the caller cannot read when others in the same
    request are readable, so a named resource that did not come back from a subscription
    outside the scan may be unreadable rather than deleted.
    """
    got = {ids.norm(r.get("id")) for r in found}
    inside = {s.lower() for s in readable}
    gapped = {g.scope.lower() for g in gaps if g.scope}
    for rid in missing:
        sub = ids.parse(rid).subscription_id
        if ids.norm(rid) in got or sub.lower() in inside or sub.lower() in gapped:
            continue
        gapped.add(sub.lower())
        gaps.append(
            Gap(
                f"subscription {sub} (outside the scan) returned none of the {what} there, "
                f"e.g. {rid}: no read access, or deleted",
                sub,
            )
        )
