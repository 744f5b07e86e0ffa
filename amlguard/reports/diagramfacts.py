"""What the blueprint diagram draws whether or not anything fails: the estate's networking.

Per piece of the diagram, a few lines read from the inventory the scan judged: public access of
each resource, its private endpoints (group ids and connection state), the DNS zones of the
endpoints and whether the solution VNet is linked to them, and the scopes at which the
workspace's primary identity holds its roles (the approver role's scope). Failing checks are
the findings' business (:mod:`amlguard.reports.svg`); these lines say what is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.approval import ROLE_DEFINITION
from amlguard.scanner.primitives import endpoints_of

#: Built-in role names by definition GUID, for roles whose definition is not in the scan.
KNOWN_ROLES = {
    "b556d68e-0be0-4f35-a333-ad7ee1ce17ea": "AI Enterprise Network Connection Approver",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "4d97b98b-1d4f-4787-a291-c67834d212e7": "Network Contributor",
}
_ROLE_PIECE = {
    "storageaccount": "storage",
    "keyvault": "keyvault",
    "containerregistry": "registry",
    "applicationinsights": "appinsights",
}
_MAX_ROLES = 2
_MAX_AI = 4


def _props(row: Mapping[str, Any] | None) -> dict[str, Any]:
    props = (row or {}).get("properties")
    return props if isinstance(props, dict) else {}


def _zone(name: str) -> str:
    return name[len("privatelink.") :] if name.lower().startswith("privatelink.") else name


def scope_text(scope: str) -> str:
    """A role assignment scope in a few words: ``rg NAME``, ``subscription ID``, a resource."""
    text = str(scope or "").rstrip("/")
    if not text or text == "/":
        return "tenant root"
    group = ids.management_group_of(text)
    if group:
        return f"management group {group}"
    parts = ids.parse(text)
    if parts.resource_group and ids.norm(text) == ids.norm(ids.resource_group_scope(text)):
        return f"resource group {parts.resource_group}"
    if parts.subscription_id and not parts.resource_group:
        return f"subscription {parts.subscription_id[:8]}"
    return ids.short_name(text)


def _role_names(inventory: Any) -> dict[str, str]:
    """Role names by definition GUID from the role definitions in the scan (once per scan)."""
    memo = inventory.memo.setdefault("diagramRoleNames", {})
    if not memo:
        memo[""] = ""
        for row in inventory.of_type(ROLE_DEFINITION):
            name = _props(row).get("roleName")
            if isinstance(name, str) and name:
                memo[ids.guid_tail(str(row.get("id")))] = name
    return memo


def _role_name(inventory: Any, definition: str) -> str:
    guid = ids.guid_tail(definition)
    name = _role_names(inventory).get(guid) if guid else None
    return str(name or KNOWN_ROLES.get(guid) or f"role {guid[:8] or 'unknown'}")


def _roles(instance: Any, inventory: Any) -> list[str]:
    principal = str(getattr(instance, "principal_id", None) or "").lower()
    if not principal:
        return ["no primary user-assigned identity"]
    pairs = []
    for ra in inventory.assignments_by_principal.get(principal, []):
        props = _props(ra)
        role = _role_name(inventory, str(props.get("roleDefinitionId") or ""))
        pairs.append((role, scope_text(str(props.get("scope") or ""))))
    if not pairs:
        return ["no role assignment in the scan"]
    pairs.sort()
    lines = [line for role, scope in pairs[:_MAX_ROLES] for line in (role, f"  at {scope}")]
    if len(pairs) > _MAX_ROLES:
        lines.append(f"+{len(pairs) - _MAX_ROLES} more role assignment(s)")
    return lines


def _endpoints_line(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no private endpoint"
    groups: dict[str, list[str]] = {}
    for item in items:
        status = str(item.get("status") or "unknown")
        named = item.get("groupIds") or [ids.short_name(str(item.get("id") or "?"))]
        for group in named:
            groups.setdefault(status, []).append(str(group))
    parts = [f"{', '.join(sorted(set(g)))} ({s})" for s, g in sorted(groups.items())]
    return "endpoints: " + "; ".join(parts)


def _resource_lines(row: Mapping[str, Any] | None, items: list[dict[str, Any]]) -> list[str]:
    if row is None:
        return ["not in the scan"]
    props = _props(row)
    ingestion = props.get("publicNetworkAccessForIngestion")
    if props.get("publicNetworkAccess") is None and ingestion is not None:
        query = props.get("publicNetworkAccessForQuery") or "not set"
        access = f"public ingestion: {ingestion}, query: {query}"
    else:
        access = f"public access: {props.get('publicNetworkAccess') or 'not set'}"
    return [access, _endpoints_line(items)]


def _wrap(prefix: str, words: list[str], width: int) -> list[str]:
    lines: list[str] = []
    line = prefix
    for word in words:
        candidate = f"{line}{', ' if line != prefix else ''}{word}"
        if len(candidate) > width and line != prefix:
            lines.append(line + ",")
            line = "  " + word
        else:
            line = candidate
    return [*lines, line]


def facts(instance: Any, inventory: Any) -> dict[str, list[str]]:
    """Lines per diagram piece describing the instance's networking as the scan saw it."""
    if inventory is None:
        return {}
    out: dict[str, list[str]] = {"identity": _roles(instance, inventory)}
    endpoint_items: list[dict[str, Any]] = []
    members = [(_ROLE_PIECE.get(k.lower()), v) for k, v in instance.associated.items()]
    members += [
        (f"ai{i}" if i < _MAX_AI else None, rid) for i, rid in enumerate(instance.integrated)
    ]
    for piece, rid in [(None, instance.id), *members]:
        row = inventory.get(rid)
        items = endpoints_of(inventory, rid, row) if row is not None else []
        endpoint_items += items
        if piece:
            out[piece] = _resource_lines(row, items)
    zones: dict[str, str] = {}
    for item in endpoint_items:
        for zone_id in item.get("zoneIds") or []:
            zones.setdefault(ids.norm(zone_id), str(zone_id))
    names = sorted({_zone(ids.short_name(z)) for z in zones.values()})
    out["endpoints"] = [
        f"{len(endpoint_items)} endpoint(s) to the workspace and its resources",
        *(_wrap("DNS zones: ", names, 64) if names else ["DNS zones: none in a zone group"]),
    ]
    vnet_id = getattr(instance, "solution_vnet", None)
    vnet = ids.norm(vnet_id)
    if vnet:
        servers = _props(inventory.get(vnet_id)).get("dhcpOptions")
        dns = servers.get("dnsServers") if isinstance(servers, dict) else None
        out["vnet"] = [
            "DNS servers: " + (", ".join(str(d) for d in dns) if dns else "Azure-provided")
        ]
        if zones:
            linked = sum(1 for z in zones if inventory.links_by_zone_and_vnet.get((z, vnet)))
            out["vnet"].append(f"zone links to this VNet: {linked} of {len(zones)}")
    return out
