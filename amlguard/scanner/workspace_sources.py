"""Related sources of the real-estate rules (issue 12) that read one workspace or resource:
a project's hub (AMLG-120), outbound rules in flux (AMLG-104) and a resource's private endpoint
connections wherever its type keeps them (AMLG-240)."""

from __future__ import annotations

import re
from typing import Any

from amlguard.scanner import ids, shapes
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.inventory import Row
from amlguard.scanner.paths import MISSING, get_key
from amlguard.scanner.privatelink import default_table
from amlguard.scanner.rowshape import as_dict as _dict
from amlguard.scanner.rowshape import props as _props
from amlguard.scanner.unknown import Unknown


def _kind(row: Any) -> str | None:
    kind = row.get("kind") if isinstance(row, dict) else None
    return kind if isinstance(kind, str) else None


_IN_FLUX = {"provisioning", "deleting"}


@related_source("outboundRulesInFlux")
def outbound_rules_in_flux(ctx: EvalContext) -> list[Any]:
    """Always empty, or ``error``: an outbound rule of the judged workspace that is still
    ``Provisioning`` or ``Deleting`` cannot be judged until it settles (rescan later)."""
    rules = get_key(_dict(get_key(_props(ctx.resource), "managedNetwork")), "outboundRules")
    busy = [
        f"{name} ({get_key(rule, 'status')})"
        for name, rule in sorted(_dict(rules).items())
        if str(get_key(rule, "status")).lower() in _IN_FLUX
    ]
    if busy:
        raise Undeterminable(
            "outbound rule(s) in flux, rescan once they settle: " + ", ".join(busy)
        )
    return []


#: how much of a rule's ``errorInformation`` a finding quotes
ERROR_QUOTE_LIMIT = 200
_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def printable(value: Any, limit: int = ERROR_QUOTE_LIMIT) -> str:
    """Text we did not write as one bounded, printable line: whitespace runs become one space,
    other control, zero-width and bidi characters are shown as ``\\uXXXX``, never interpreted."""
    text = " ".join(str(value).split())
    text = _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def quoted_error(value: Any) -> str:
    """A service's ``errorInformation`` quoted for a message (a string, or ``{code, message}``)."""
    if isinstance(value, dict):
        parts = [get_key(value, "code"), get_key(value, "message")]
        value = ": ".join(str(p) for p in parts if isinstance(p, str) and p.strip())
    if value in (None, MISSING) or not str(value).strip():
        return "no errorInformation given"
    return '"' + printable(value).replace('"', "'") + '"'


@related_source("outboundRulesFailed")
def outbound_rules_failed(ctx: EvalContext) -> list[Any]:
    """The judged workspace's outbound rules whose status is ``Failed``: one item each, named
    after the resource it leads to and quoting the service's ``errorInformation``."""
    rules = get_key(_dict(get_key(_props(ctx.resource), "managedNetwork")), "outboundRules")
    out = []
    for name, rule in sorted(_dict(rules).items()):
        if str(get_key(rule, "status")).lower() != "failed":
            continue
        dest = get_key(rule, "destination")
        target = get_key(dest, "serviceResourceId") if isinstance(dest, dict) else dest
        where = ids.short_if_id(str(target)) if isinstance(target, str) and target else str(name)
        error = quoted_error(get_key(rule, "errorInformation"))
        text = f"{printable(where, 300)} (outbound rule {printable(name, 80)} is Failed: {error})"
        out.append({"id": text, "name": name})
    return out


@related_source("projectHub")
def project_hub(ctx: EvalContext) -> list[Any]:
    """The hub workspace the judged project names in ``properties.hubResourceId``: one item
    (id, name, kind), or ``error`` when that hub is not in the inventory."""
    hub_id = get_key(_props(ctx.resource), "hubResourceId")
    if not isinstance(hub_id, str) or not hub_id.strip():
        raise Undeterminable("the project names no hub (properties.hubResourceId is absent)")
    row = ctx.inventory.get(hub_id)
    if row is None:
        raise Undeterminable(
            f"hub {ids.short_if_id(hub_id)} is not in the scanned inventory "
            "(hub outside the scan scope or deleted)"
        )
    return [{"id": row["id"], "name": row.get("name"), "kind": _kind(row) or MISSING}]


def connection_states(row: Row) -> list[tuple[Any, Any]]:
    """(connection, status) of a resource's private endpoint connections, read where its type
    keeps them (``connections`` in policies/private_link.yaml: registries use
    ``registryPrivateEndpointConnections``). Read strictly (:mod:`amlguard.scanner.shapes`): a
    list, connection, state or status of another shape, or unknown before deployment, cannot
    be judged (redteam6 item 4: a list given as an object read as "no connection")."""
    list_key, state_key = default_table().connection_keys(str(row.get("type") or ""))
    props = row.get("properties")
    if type(props) is dict:
        found = _well_formed(get_key(props, list_key), state_key)
        if found is not None:
            return found
    return _strict_states(row, list_key, state_key)


def _well_formed(conns: Any, state_key: str) -> list[tuple[Any, Any]] | None:
    """The common case read at dict speed: a list of connections spelled as ARM returns them,
    each with a string status; None for anything else (the strict reader decides)."""
    if conns is MISSING or conns is None:
        return []
    if type(conns) is not list:
        return None
    out = []
    for conn in conns:
        cprops = conn.get("properties") if type(conn) is dict else None
        state = cprops.get(state_key) if type(cprops) is dict else None
        status = state.get("status") if type(state) is dict else None
        if type(status) is not str:
            return None
        out.append((conn, status))
    return out


def _strict_states(row: Row, list_key: str, state_key: str) -> list[tuple[Any, Any]]:
    at = shapes.Where(row.get("id", "?"), "properties")
    props = shapes.obj(row.get("properties"), at) or {}
    out = []
    listed = at / list_key
    for i, conn in enumerate(shapes.items(shapes.member(props, list_key), listed) or []):
        body = shapes.obj(conn, listed / i)
        cprops = shapes.obj(shapes.member(body, "properties"), listed / i / "properties")
        where = listed / i / "properties" / state_key
        state = shapes.obj(shapes.member(cprops, state_key), where)
        status = shapes.member(state, "status")
        # A template's connection status is unknown until approval: its readers decide.
        if type(status) is not Unknown:
            status = shapes.text(status, where / "status")
        out.append((conn, None if status is MISSING else status))
    return out


@related_source("endpointConnections")
def endpoint_connections(ctx: EvalContext) -> list[Any]:
    """The judged resource's private endpoint connections: id, name, status (per-type path)."""
    return [
        {
            "id": get_key(conn, "id") if isinstance(conn, dict) else MISSING,
            "name": get_key(conn, "name") if isinstance(conn, dict) else MISSING,
            "status": status if status is not None else MISSING,
        }
        for conn, status in connection_states(ctx.resource)
    ]
