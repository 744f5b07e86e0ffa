"""Related sources over a workspace's managed-network outbound rules and child resources
(issue 13): broad FQDN/ServiceTag rules (AMLG-110), batch endpoints and the PrivateEndpoint
rules a target lacks per group id (AMLG-111)."""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids, shapes
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext
from amlguard.scanner.fqdn import broad_reason
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import MISSING, get_key
from amlguard.scanner.shapes import MalformedValue, UnknownAt, Where
from amlguard.textsafe import visible

#: a need, not a type: the computes of every workspace, not only customer-VNet ones (AMLG-114)
ALL_COMPUTES = "microsoft.machinelearningservices/workspaces/computes#every-workspace"
BATCH_ENDPOINT = "microsoft.machinelearningservices/workspaces/batchendpoints"
#: the categories the service gives its own rules; the client can write them too (RuleCategory
#: is not readOnly in the REST specs), so they exempt no rule from AMLG-110 (redteam10 #6)
SERVICE_CATEGORIES = frozenset({"required", "recommended", "dependency"})


#: the outbound rule types a managed network knows (RuleType in the REST specs)
RULE_TYPES = {"fqdn": "FQDN", "privateendpoint": "PrivateEndpoint", "servicetag": "ServiceTag"}


def _rules_at(workspace: Row) -> Where:
    return Where(workspace.get("id", "?"), "properties.managedNetwork.outboundRules")


def outbound_rules(workspace: Row) -> dict[str, Any]:
    """The workspace's outbound rules by name (empty when it has none); a managed network or
    rule map that is unknown before deployment or not an object cannot be judged."""
    at = _rules_at(workspace)
    props = shapes.obj(get_key(workspace, "properties"), Where(at.resource, "properties"))
    net = shapes.obj(
        shapes.member(props, "managedNetwork"), Where(at.resource, "properties.managedNetwork")
    )
    return shapes.obj(shapes.member(net, "outboundRules"), at) or {}


def network_status(workspace: Row) -> str:
    """The managed network's ``status.status``, lower-cased ("" when absent)."""
    at = Where(workspace.get("id", "?"), "properties.managedNetwork")
    props = shapes.obj(get_key(workspace, "properties"), Where(at.resource, "properties"))
    net = shapes.obj(shapes.member(props, "managedNetwork"), at)
    status = shapes.obj(shapes.member(net, "status"), at / "status")
    return (shapes.text(shapes.member(status, "status"), at / "status" / "status") or "").lower()


def service_label(rule: dict[str, Any], where: Where) -> str | None:
    """The rule's ``category`` when it is one the service gives its own rules (None else)."""
    category = shapes.text(get_key(rule, "category"), where / "category") or ""
    return category.strip() if category.strip().lower() in SERVICE_CATEGORIES else None


def rule_type(rule: dict[str, Any], where: Where) -> str:
    """An outbound rule's type, lower-cased (``fqdn``, ``servicetag``, ``privateendpoint``);
    absent, unknown or another value cannot be judged."""
    found = shapes.text(get_key(rule, "type"), where / "type")
    if found is None or found.lower() not in RULE_TYPES:
        shown = "absent" if found is None else shapes.describe(found)
        raise MalformedValue(
            f"{visible(str(where / 'type'))} is {shown}, expected one of "
            f"{', '.join(RULE_TYPES.values())}: cannot be judged"
        )
    return found.lower()


def denies(destination: dict[str, Any], where: Where) -> bool:
    """Whether a ServiceTag destination's ``action`` is ``Deny`` (absent: ``Allow``, as the
    REST specs' RuleAction default); another value cannot be judged."""
    action = shapes.text(get_key(destination, "action"), where / "action")
    if action is None or action.lower() == "allow":
        return False
    if action.lower() == "deny":
        return True
    raise MalformedValue(
        f"{visible(str(where / 'action'))} is {shapes.describe(action)}, expected Allow or "
        "Deny: cannot be judged"
    )


def _list_of(value: Any) -> list[Any]:
    if value is MISSING or value is None:
        return []
    return value if isinstance(value, list) else [value]


@related_source("broadOutboundRules")
def broad_outbound_rules(
    ctx: EvalContext,
    fqdns: Any = None,
    service_tags: Any = None,
    min_fixed_labels: Any = 2,
    min_prefix_length: Any = 16,
    min_ipv6_prefix_length: Any = 48,
) -> list[Any]:
    """The judged workspace's FQDN rules whose destination is too broad (a forbidden wildcard,
    or a wildcard over a public suffix) and Allow ServiceTag rules opening address prefixes
    wider than the limits (``scope`` prefix; Azure ignores the tag then), or else a forbidden
    tag (``scope`` global) or its regional form (``scope`` regional), whatever ``category``
    they carry. A rule that cannot be read (unknown before deployment, or malformed) is
    ``error`` unless another rule already fails the workspace."""
    labels = min_fixed_labels if isinstance(min_fixed_labels, int) else 2
    limits = (min_prefix_length, min_ipv6_prefix_length)
    out: list[Any] = []
    unjudged: MalformedValue | UnknownAt | None = None
    at = _rules_at(ctx.resource)
    for name, rule in sorted(outbound_rules(ctx.resource).items()):
        try:
            item = _broad(str(name), rule, at / str(name), fqdns, service_tags, labels, limits)
        except (MalformedValue, UnknownAt) as exc:
            unjudged = unjudged or exc
            continue
        if item is not None:
            out.append(item)
    if unjudged is not None and not out:
        raise unjudged
    return out


def _broad(
    name: str,
    rule: Any,
    at: Where,
    fqdns: Any,
    service_tags: Any,
    labels: int,
    limits: tuple[Any, Any] = (16, 48),
) -> dict[str, Any] | None:
    body = shapes.obj(rule, at)
    if body is None:  # a named rule that is null: ARM never writes one, so it cannot be read
        raise MalformedValue(f"{visible(str(at))} is null, expected an object: cannot be judged")
    found = _broad_of(body, rule_type(body, at), at, fqdns, service_tags, labels, limits)
    if found is None:
        return None
    rtype, dest, scope, reason = found
    label = service_label(body, at)
    if label:  # a client-writable label: said, never taken as an exemption
        reason = f"{reason}, labelled {label}"
    return _item(name, rtype, dest, scope, reason)


def _broad_of(
    body: dict[str, Any],
    rtype: str,
    at: Where,
    fqdns: Any,
    service_tags: Any,
    labels: int,
    limits: tuple[Any, Any],
) -> tuple[str, str, str, str] | None:
    """(type, shown destination, scope, reason) of a broad FQDN or ServiceTag rule."""
    if rtype == "fqdn":
        dest = shapes.text(get_key(body, "destination"), at / "destination")
        if dest is None or not dest.strip():  # blank names no host: not "not broad"
            shown = "absent" if dest is None else f"blank ({shapes.describe(dest)})"
            raise MalformedValue(f"{visible(str(at / 'destination'))} is {shown}: cannot be judged")
        reason = broad_reason(dest, _list_of(fqdns), labels)
        return ("FQDN", dest, "fqdn", reason) if reason else None
    if rtype == "servicetag":
        dest_at = at / "destination"
        destination = shapes.obj(get_key(body, "destination"), dest_at)
        if destination is None:  # names nothing: not "not broad"
            raise MalformedValue(f"{visible(str(dest_at))} is absent: cannot be judged")
        if denies(destination, dest_at):
            return None  # a Deny rule narrows egress; it never opens it
        from amlguard.scanner.servicetag import breadth  # only where a ServiceTag rule is

        wide = breadth(destination, dest_at, _list_of(service_tags), *limits)
        return ("ServiceTag", wide.shown, wide.scope, wide.reason) if wide else None
    return None


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
    to ``target`` (any category: the service's own rules count), Active once provisioned. A
    rule that cannot be read is ``error`` when a group is still missing (it may be that one)."""
    provisioned = network_status(workspace) == "active"
    have: set[str] = set()
    unjudged: MalformedValue | UnknownAt | None = None
    at = _rules_at(workspace)
    for name, rule in outbound_rules(workspace).items():
        try:
            group = _endpoint_group(rule, at / str(name), target, require_active and provisioned)
        except (MalformedValue, UnknownAt) as exc:
            unjudged = unjudged or exc
            continue
        if group is not None:
            have.add(group)
    lacking = [str(g) for g in groups if str(g).lower() not in have]
    if lacking and unjudged is not None:
        raise unjudged
    return lacking


def _endpoint_group(rule: Any, at: Where, target: str, need_active: bool) -> str | None:
    """The lower-cased group a valid PrivateEndpoint rule to ``target`` reaches, else None."""
    body = shapes.obj(rule, at)
    if body is None or rule_type(body, at) != "privateendpoint":
        return None
    dest_at = at / "destination"
    dest = shapes.obj(get_key(body, "destination"), dest_at) or {}
    resource = shapes.text(get_key(dest, "serviceResourceId"), dest_at / "serviceResourceId")
    if ids.norm(resource or "") != ids.norm(target):
        return None
    if need_active and (shapes.text(get_key(body, "status"), at / "status") or "").lower() != (
        "active"
    ):
        return None
    group = shapes.text(get_key(dest, "subresourceTarget"), dest_at / "subresourceTarget")
    return (group or "").lower()


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
