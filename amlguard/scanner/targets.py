"""Target selectors: which resources of an instance a rule judges (``target:`` in a rule)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

from amlguard.registry import Registry
from amlguard.scanner import ids, shapes, unknownrefs
from amlguard.scanner.instances import ASSOCIATED_ROLES, Instance
from amlguard.scanner.inventory import VNET, Inventory, Row
from amlguard.scanner.primitives import endpoints_in_vnet, endpoints_of
from amlguard.scanner.unknown import Unknown, UnknownValue
from amlguard.textsafe import visible


@dataclass(frozen=True, slots=True, init=False)
class Target:
    """A resource to judge; ``row`` is None when the instance names it but the scan lacks it."""

    id: str
    type: str
    row: Row | None
    #: why a target without a row is missing, when the generic "not in the inventory" says
    #: too little (a storage account named only by URL)
    missing_reason: str | None = None
    #: why a target whose row is there cannot be judged (what selects it is malformed): the
    #: finding is ``error`` with this reason, the rule's condition is not evaluated
    unjudged: str | None = None

    def __init__(
        self,
        id: str,
        type: str,
        row: Row | None,
        missing_reason: str | None = None,
        unjudged: str | None = None,
    ) -> None:
        # The generated __init__ of a frozen class, through the slots' own descriptors (as
        # model.Finding does): ~2x faster, and a scan makes ~20,000 targets and selections.
        _set_target_id(self, id)
        _set_target_type(self, type)
        _set_target_row(self, row)
        _set_target_missing(self, missing_reason)
        _set_target_unjudged(self, unjudged)


_set_target_id, _set_target_type, _set_target_row, _set_target_missing, _set_target_unjudged = (
    getattr(Target, f.name).__set__ for f in fields(Target)
)


@dataclass(frozen=True, slots=True, init=False)
class Selection:
    """The targets of one rule in one instance; ``empty_reason`` explains an empty selection."""

    targets: list[Target]
    empty_reason: str | None = None
    #: the selection cannot be made (``empty_reason`` says why): ``error``, not ``skipped``
    undetermined: bool = False
    #: the targets are already in the engine's order (by ``ids.norm`` of their ids)
    ordered: bool = False

    def __init__(
        self,
        targets: list[Target],
        empty_reason: str | None = None,
        undetermined: bool = False,
        ordered: bool = False,
    ) -> None:
        # As Target's: the slots' descriptors, not object.__setattr__ per field.
        _set_targets(self, targets)
        _set_empty_reason(self, empty_reason)
        _set_undetermined(self, undetermined)
        _set_ordered(self, ordered)


_set_targets, _set_empty_reason, _set_undetermined, _set_ordered = (
    getattr(Selection, f.name).__set__ for f in fields(Selection)
)


Selector = Callable[[Instance, Inventory, dict[str, Any]], Selection]
#: ``target.select`` names, by name (see :mod:`amlguard.registry`)
SELECTORS: Registry[Selector] = Registry("target selector")


_NOTHING = Selection([])


def selector(name: str, *, orphans: bool = False) -> Callable[[Selector], Selector]:
    """Register a target selector under ``name``. An orphan project (its hub is not in the
    inventory) has no resources of its own: only selectors registered with ``orphans`` see it,
    so no other rule judges, and no remediator plans a write on, a project."""

    def register(impl: Selector) -> Selector:
        if orphans:
            return SELECTORS.register(name, impl)

        def owned(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
            return _NOTHING if instance.orphan else impl(instance, inv, spec)

        owned.__doc__ = impl.__doc__
        SELECTORS.register(name, owned)
        return impl

    return register


def target_of(inv: Inventory, resource_id: str) -> Target:
    """The target for a resource id: its row when the inventory has it (made once per id and
    scan: a resource is selected by several rules, and a shared one by several instances)."""
    memo = inv.memo.get("target")
    if memo is None:
        memo = inv.memo["target"] = {}
    found: Target | None = memo.get(resource_id)
    if found is None and type(resource_id) is Unknown:  # templates: the id is not known yet
        return Target(resource_id, "", None, resource_id.reason())
    if found is None:
        row = inv.get(resource_id)
        rtype = row["type"] if row else ids.parse(resource_id).type
        found = memo[resource_id] = Target(row["id"] if row else resource_id, rtype, row)
    return found


_target = target_of


def _filter_types(targets: list[Target], spec: dict[str, Any]) -> list[Target]:
    if "types" not in spec:  # no filter (the targets are a list made for this selection)
        return targets
    types = {str(t).lower() for t in spec["types"]}
    return [t for t in targets if not types or t.type in types]


@selector("workspace")
def _workspace(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    return Selection([Target(instance.id, instance.workspace["type"], instance.workspace)])


#: a spec's ``roles`` (as written) -> the lower-cased role names: the same few specs select
#: for every instance
_ROLES: dict[tuple[Any, ...], frozenset[str]] = {}


def _roles(spec: dict[str, Any]) -> frozenset[str] | list[str]:
    """The lower-cased roles a spec selects (default: every associated role)."""
    wanted = spec.get("roles", ASSOCIATED_ROLES)
    if type(wanted) is not list and type(wanted) is not tuple:
        return [r.lower() for r in wanted]
    key = tuple(wanted)
    found = _ROLES.get(key) if all(type(r) is str for r in key) else None
    if found is None:
        found = frozenset(r.lower() for r in wanted)
        if len(_ROLES) < 256 and all(type(r) is str for r in key):
            _ROLES[key] = found
    return found


@selector("associated")
def _associated(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    roles = _roles(spec)
    rids = [rid for role, rid in instance.associated.items() if role.lower() in roles]
    return Selection(_filter_types(_targets(inv, rids), spec))


def _targets(inv: Inventory, rids: Iterable[str]) -> list[Target]:
    """``[target_of(inv, rid) for rid in rids]``, its memo read here (no frame per target)."""
    memo = inv.memo.get("target") or {}
    out = []
    for rid in rids:
        found = memo.get(rid) if type(rid) is str else None  # (an Unknown: target_of)
        out.append(found if found is not None else _target(inv, rid))
    return out


@selector("integrated")
def _integrated(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    return Selection(_filter_types(_targets(inv, instance.integrated), spec))


@selector("associatedAndIntegrated")
def _associated_and_integrated(
    instance: Instance, inv: Inventory, spec: dict[str, Any]
) -> Selection:
    first = _associated(instance, inv, spec).targets
    seen = {ids.norm(t.id) for t in first}
    rest = [t for t in _integrated(instance, inv, spec).targets if ids.norm(t.id) not in seen]
    return Selection(first + rest)


@selector("projects", orphans=True)
def _projects(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    """The project workspaces of a hub (or the orphan project itself)."""
    return Selection([Target(str(p["id"]), str(p["type"]), p) for p in instance.projects])


@selector("suggested")
def _suggested(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    """What only the integration selector picks, with ``integration_selector.mode: suggest``
    (nothing in ``require`` mode, where the selector's picks are integrated)."""
    return Selection(_filter_types([_target(inv, rid) for rid in instance.suggested], spec))


COMPUTE = "microsoft.machinelearningservices/workspaces/computes"
#: the compute types that run in the customer's VNet (real-estates 4.3 AMLG-112)
VNET_COMPUTE_TYPES = ("amlcompute", "computeinstance")


def computes_of(inv: Inventory, workspace_id: str) -> list[Row]:
    """The compute rows of a workspace (``.../workspaces/{ws}/computes/{name}``), by id."""
    memo = inv.memo.setdefault("computesByWorkspace", {})
    if not memo:
        memo[""] = []
        for compute in inv.of_type(COMPUTE):
            parent = ids.parent_of_child(str(compute["id"]), "computes")
            if parent:
                memo.setdefault(ids.norm(parent), []).append(compute)
    return sorted(memo.get(ids.norm(workspace_id), []), key=lambda r: ids.norm(r["id"]))


@selector("customVnetWorkspace")
def _custom_vnet_workspace(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    """The workspace, when it is judged as a customer-VNet workspace (nothing otherwise)."""
    if not instance.custom_vnet:
        return _NOTHING
    return _workspace(instance, inv, spec)


@selector("computes")
def _computes(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    """A customer-VNet workspace's AmlCompute clusters and compute instances."""
    if not instance.custom_vnet:
        return _NOTHING
    out = []
    for compute in computes_of(inv, instance.id):
        try:
            ctype = compute_type(compute)
        except UnknownValue as exc:  # never dropped unread: it may be a cluster with a public IP
            out.append(Target(str(compute["id"]), COMPUTE, compute, unjudged=str(exc)))
            continue
        if ctype in VNET_COMPUTE_TYPES:
            out.append(Target(str(compute["id"]), COMPUTE, compute))
    return Selection(out)


def compute_type(compute: Row) -> str:
    """A compute row's ``properties.computeType``, stripped and lower-cased; an unknown or
    malformed value (absent, blank, not a string, ``properties`` not an object) raises
    :class:`~amlguard.scanner.unknown.UnknownValue` naming the compute and the value."""
    at = shapes.Where(compute.get("id"), "properties")
    props = shapes.obj(compute.get("properties"), at)
    ctype = shapes.text(shapes.member(props, "computeType"), at / "computeType")
    if ctype is None or not ctype.strip():
        said = "absent" if ctype is None else "blank"
        raise shapes.MalformedValue(
            f"{visible(str(at / 'computeType'))} is {said}: which kind of compute it is (and so whether it "
            "must run in the solution VNet) cannot be judged"
        )
    return ctype.strip().lower()


def _no_vnet(instance: Instance, inv: Inventory) -> Selection:
    """Why an instance has no solution VNet: ``error`` when one of its endpoints could not be
    read (a skip is not a gap: the scan would exit 0) or a private endpoint whose target is
    unknown before deployment (templates) may be the instance's, ``skipped`` when there truly
    is none."""
    if instance.solution_problem is not None:
        reason = f"no solution VNet can be determined: {instance.solution_problem}"
        return Selection([], reason, undetermined=True)
    unknown = unknownrefs.unknown_endpoint_targets(inv)
    if unknown:
        reason = f"no solution VNet could be determined: {unknown[0]}"
        return Selection([Target(instance.id, instance.workspace["type"], None, reason)])
    why = instance.solution_note or "no private endpoint gives the solution subnet"
    return Selection(
        [], f"no solution VNet could be determined: {why} (set solution_subnet to name it)"
    )


@selector("solutionVnet")
def _solution_vnet(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    if not instance.solution_vnet:
        return _no_vnet(instance, inv)
    row = inv.get(instance.solution_vnet)
    # The VNet row itself is not needed to judge what is attached to it.
    stand_in = row or {"id": instance.solution_vnet, "type": VNET, "name": ""}
    return Selection([Target(instance.solution_vnet, VNET, stand_in)])


@selector("instanceDnsZones")
def _instance_dns_zones(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    """Private DNS zones used by the endpoints of the instance's workspace and its resources.

    For a resource other instances share (one registry or AI account for many workspaces), only
    its endpoints in this instance's solution VNet are the instance's: the others, in other
    instances' VNets, use zones this VNet never resolves through. When none of them is in the
    solution VNet, all of them count: the instance has no private path of its own, and the zones
    its VNet would have to resolve through are exactly what must be judged (never silence).
    """
    if not instance.solution_vnet:
        return _no_vnet(instance, inv)
    zones: dict[str, str] = {}
    shared = instance.shared
    norm = ids.norm
    for member in [instance.id, *instance.associated.values(), *instance.integrated]:
        endpoints = endpoints_of(inv, member)
        if shared and norm(member) in shared:
            endpoints = endpoints_in_vnet(inv, member, instance.solution_vnet) or endpoints
        for endpoint in endpoints:
            for zone in endpoint["zoneIds"]:
                key = norm(zone)
                if key not in zones:  # the first spelling met, as setdefault keeps it
                    zones[key] = zone
    targets = _targets(inv, [z for _, z in sorted(zones.items())])
    if str(spec.get("missing") or "error").lower() == "judge":
        # The rule judges zones outside the scan itself (central_dns_scopes): a stand-in row.
        targets = [
            t
            if t.row is not None or t.missing_reason
            else Target(t.id, t.type, _stand_in(t.id, t.type))
            for t in targets
        ]
    # Sorted by the zones' normal ids, which are their targets' (same id, or the row's id
    # for the same key): what the engine would sort them by.
    return Selection(targets, ordered=True)


def _stand_in(resource_id: str, rtype: str) -> Row:
    """A row for a resource the scan lacks; ``inv.get(id)`` still says it is not there."""
    parts = ids.parse(resource_id)
    return {
        "id": resource_id,
        "type": rtype,
        "name": parts.name,
        "resourceGroup": parts.resource_group.lower(),
        "subscriptionId": parts.subscription_id,
        "properties": {},
    }
