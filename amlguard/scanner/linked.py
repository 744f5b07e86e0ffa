"""Related sources for resources an integration brings along (issue 13, part B).

``linkedResources``: the resources whose ids the judged row names at given property paths (an
AML registry's system-created storage account and container registry, under
``properties.regionDetails[*]``), each with what a rule needs to judge it as private: its
``publicNetworkAccess``, the private-endpoint group id it is reached through and that group's
DNS zones. ``privateLinkScopes``: the Azure Monitor private link scopes (AMPLS) that scope the
judged resource (an Application Insights component), through their ``scopedResources`` rows.

Both depend only on the judged row and the inventory, never on the instance.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import MISSING, PathError, compile_path, get_key, resolve_all

SCOPED_RESOURCE = "microsoft.insights/privatelinkscopes/scopedresources"
PRIVATE_LINK_SCOPE = "microsoft.insights/privatelinkscopes"


def _props(row: Any) -> dict[str, Any]:
    p = row.get("properties") if isinstance(row, dict) else None
    if p is None and isinstance(row, dict):  # any casing, as ARM reads property names
        p = get_key(row, "properties")
    return p if isinstance(p, dict) else {}


def _kind(row: Any) -> str | None:
    kind = row.get("kind") if isinstance(row, dict) else None
    return kind if isinstance(kind, str) else None


def _path_list(paths: Any) -> list[str]:
    if isinstance(paths, str):
        return [paths]
    if isinstance(paths, list) and all(isinstance(p, str) for p in paths):
        return list(paths)
    raise Undeterminable(f"linkedResources needs 'paths': a list of property paths, got {paths!r}")


def referenced_ids(row: Row, paths: list[str]) -> list[str]:
    """The resource ids ``row`` names at ``paths`` (``[*]`` walks lists), first spelling kept,
    in path order, duplicates (compared case-insensitively) dropped."""
    seen: dict[str, str] = {}
    for path in paths:
        try:
            segments = compile_path(path)
        except PathError as exc:
            raise Undeterminable(f"linkedResources: {exc}") from None
        for value in resolve_all(row, segments):
            if isinstance(value, str) and value.strip().lower().startswith("/subscriptions/"):
                seen.setdefault(ids.norm(value), value.strip())
    return list(seen.values())


def _linked_item(ctx: EvalContext, resource_id: str) -> dict[str, Any]:
    row = ctx.inventory.get(resource_id)
    rtype = row["type"] if row else ids.parse(resource_id).type.lower()
    kind = _kind(row)
    groups = ctx.private_link.group_ids(rtype, kind) or []
    group = groups[0] if groups else MISSING
    zones = ctx.private_link.zones(rtype, kind, group, ctx.cloud) if groups else []
    pna = get_key(_props(row), "publicNetworkAccess") if row else MISSING
    return {
        "id": row["id"] if row else resource_id,
        "name": ids.short_name(resource_id),
        "type": rtype,
        "found": row is not None,
        "publicNetworkAccess": pna,
        # the group a client reaches the resource through (the table's first: blob, registry)
        "privateGroup": group,
        "privateZones": zones if zones else MISSING,
    }


@related_source("linkedResources")
def linked_resources(ctx: EvalContext, paths: Any = None, missing: Any = None) -> list[Any]:
    """The resources the judged row names at ``paths``: id, name, type, found,
    publicNetworkAccess, privateGroup and privateZones (the private link table's first group
    of the type and its zones in this cloud).

    With ``missing: error`` an id that is not in the inventory makes the finding ``error``
    (outside the scan scope or deleted) instead of an item with ``found: false``.
    """
    wanted = referenced_ids(ctx.resource, _path_list(paths))
    items = [_linked_item(ctx, rid) for rid in wanted]
    if str(missing).lower() == "error":
        lost = [item["id"] for item in items if not item["found"]]
        if lost:
            raise Undeterminable(
                "resource(s) it names are not in the scanned inventory (outside the scan scope "
                "or deleted): " + ", ".join(lost)
            )
    return items


def scopes_by_linked_resource(inv: Inventory) -> dict[str, list[Row]]:
    """AMPLS ``scopedResources`` rows by the lower-cased id they link, built once per inventory."""
    memo = inv.memo.get("scopesByLinkedResource")
    if memo is None:
        memo = inv.memo["scopesByLinkedResource"] = {}
    if not memo:
        memo[""] = []  # built (an inventory without scoped resources asks once, too)
        for scoped in inv.of_type(SCOPED_RESOURCE):
            linked = get_key(_props(scoped), "linkedResourceId")
            if isinstance(linked, str) and linked:
                memo.setdefault(ids.norm(linked), []).append(scoped)
    return memo


@related_source("privateLinkScopes")
def private_link_scopes(ctx: EvalContext) -> list[Any]:
    """The Azure Monitor private link scopes that scope the judged resource: id, name, found
    and the scoped-resource row's id (``scopedResourceId``), in id order."""
    out: dict[str, dict[str, Any]] = {}
    for scoped in scopes_by_linked_resource(ctx.inventory).get(ids.norm(ctx.resource["id"]), []):
        scope_id = ids.parent_of_child(str(scoped["id"]), "scopedResources")
        if not scope_id:
            continue
        row = ctx.inventory.get(scope_id)
        out.setdefault(
            ids.norm(scope_id),
            {
                "id": row["id"] if row else scope_id,
                "name": ids.short_name(scope_id),
                "found": row is not None,
                "scopedResourceId": scoped["id"],
            },
        )
    return [out[k] for k in sorted(out)]
