"""Related sources over a workspace's managed-network outbound rules and child resources
(issue 13): broad FQDN/ServiceTag rules (AMLG-110), batch endpoints and the PrivateEndpoint
rules a target lacks per group id (AMLG-111)."""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext
from amlguard.scanner.fqdn import broad_reason, service_tag_scope
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import MISSING, get_key

#: a need, not a type: the computes of every workspace, not only customer-VNet ones (AMLG-114)
ALL_COMPUTES = "microsoft.machinelearningservices/workspaces/computes#every-workspace"
BATCH_ENDPOINT = "microsoft.machinelearningservices/workspaces/batchendpoints"
#: service-created rule categories: everything else is the user's
SERVICE_CATEGORIES = frozenset({"required", "recommended", "dependency"})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def outbound_rules(workspace: Row) -> dict[str, Any]:
    """The workspace's outbound rules by name (empty when it has none)."""
    net = get_key(_dict(get_key(workspace, "properties")), "managedNetwork")
    return _dict(get_key(_dict(net), "outboundRules"))


def network_status(workspace: Row) -> str:
    """The managed network's ``status.status``, lower-cased ("" when absent)."""
    net = _dict(get_key(_dict(get_key(workspace, "properties")), "managedNetwork"))
    return _text(get_key(_dict(get_key(net, "status")), "status")).lower()


def is_user_rule(rule: Any) -> bool:
    """A rule the user made (category absent, ``UserDefined`` or unknown)."""
    return _text(get_key(rule, "category")).lower() not in SERVICE_CATEGORIES


def _list_of(value: Any) -> list[Any]:
    if value is MISSING or value is None:
        return []
    return value if isinstance(value, list) else [value]


@related_source("broadOutboundRules")
def broad_outbound_rules(
    ctx: EvalContext, fqdns: Any = None, service_tags: Any = None, min_fixed_labels: Any = 2
) -> list[Any]:
    """The judged workspace's user FQDN rules whose destination is too broad (a forbidden
    wildcard, or a wildcard over a top-level domain) and user ServiceTag rules naming a
    forbidden tag (``scope`` global) or its regional form (``scope`` regional)."""
    labels = min_fixed_labels if isinstance(min_fixed_labels, int) else 2
    out = []
    for name, rule in sorted(outbound_rules(ctx.resource).items()):
        if not isinstance(rule, dict) or not is_user_rule(rule):
            continue
        rtype = _text(get_key(rule, "type")).lower()
        if rtype == "fqdn":
            dest = get_key(rule, "destination")
            reason = broad_reason(dest, _list_of(fqdns), labels)
            if reason:
                out.append(_item(name, "FQDN", dest, "fqdn", reason))
        elif rtype == "servicetag":
            tag = get_key(_dict(get_key(rule, "destination")), "serviceTag")
            scope = service_tag_scope(tag, _list_of(service_tags))
            if scope:
                out.append(_item(name, "ServiceTag", tag, scope, f"{scope} service tag"))
    return out


def _item(name: str, rtype: str, dest: Any, scope: str, reason: str) -> dict[str, Any]:
    shown = dest if isinstance(dest, str) else repr(dest)
    return {
        "name": f"{name} ({rtype} {shown}: {reason})",
        "rule": name,
        "type": rtype,
        "destination": shown,
        "scope": scope,
    }


def children_of(inv: Inventory, parent_id: str, rtype: str, segment: str) -> list[Row]:
    """The child rows of type ``rtype`` (``.../{segment}/{name}``) of ``parent_id``, indexed
    once per inventory and type."""
    memo = inv.memo.setdefault(f"children:{rtype}", {})
    if not memo:
        memo[""] = []
        for child in inv.of_type(rtype):
            parent = ids.parent_of_child(str(child["id"]), segment)
            if parent:
                memo.setdefault(ids.norm(parent), []).append(child)
    return sorted(memo.get(ids.norm(parent_id), []), key=lambda r: ids.norm(r["id"]))


def _workspaces(ctx: EvalContext) -> list[str]:
    """The judged workspace and, when it is an instance's hub, that instance's projects."""
    out = [str(ctx.resource["id"])]
    inst = ctx.instance
    if inst is not None and ids.norm(inst.id) == ids.norm(out[0]):
        out += [str(p["id"]) for p in inst.projects]
    return out


@related_source("batchEndpoints")
def batch_endpoints(ctx: EvalContext) -> list[Any]:
    """The batch endpoints of the judged workspace (and of a hub's projects): id, name."""
    return [
        {"id": row["id"], "name": row.get("name")}
        for ws in _workspaces(ctx)
        for row in children_of(ctx.inventory, ws, BATCH_ENDPOINT, "batchEndpoints")
    ]


def missing_groups(
    workspace: Row, target: str, groups: list[Any], require_active: bool = True
) -> list[str]:
    """The group ids of ``groups`` for which the workspace has no valid PrivateEndpoint rule
    to ``target`` (any category: the service's own rules count), Active once provisioned."""
    provisioned = network_status(workspace) == "active"
    have: set[str] = set()
    for rule in outbound_rules(workspace).values():
        if not isinstance(rule, dict) or _text(get_key(rule, "type")).lower() != "privateendpoint":
            continue
        dest = _dict(get_key(rule, "destination"))
        if ids.norm(_text(get_key(dest, "serviceResourceId"))) != ids.norm(target):
            continue
        if require_active and provisioned and _text(get_key(rule, "status")).lower() != "active":
            continue
        have.add(_text(get_key(dest, "subresourceTarget")).lower())
    return [str(g) for g in groups if str(g).lower() not in have]


@related_source("missingOutboundGroups")
def missing_outbound_groups(
    ctx: EvalContext, target: Any = None, groups: Any = None, require_active: Any = True
) -> list[Any]:
    """One item (the target's id, its ``missing`` group ids) when the judged workspace lacks a
    valid PrivateEndpoint outbound rule to ``target`` for one of ``groups``; none otherwise
    (nor when ``target`` is absent: nothing to reach)."""
    if not isinstance(target, str) or not target:
        return []
    lacking = missing_groups(ctx.resource, target, _list_of(groups), require_active is not False)
    return [{"id": target, "missing": lacking}] if lacking else []
