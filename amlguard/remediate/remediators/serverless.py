"""``workspace-serverless-compute`` (AMLG-113): a customer-VNet workspace's serverless compute
moves into a subnet of the solution VNet without public IPs, by a workspace PATCH of
``serverlessComputeSettings`` (in ``WorkspaceUpdateParameters``, azure-facts 2.2).

The subnet is only set when it is known, in this order: the rule's ``fix_subnet`` parameter
(it must be in the solution VNet), the current subnet when it already is, the one subnet of the
solution VNet the workspace's computes use, else the solution subnet itself (the subnet of the
workspace's inbound private endpoint, or the configured ``solution_subnet``). No solution VNet,
a configured subnet elsewhere, or computes spread over several subnets: a manual step that says
why. The PATCH holds ``serverlessComputeSettings`` alone (both fields, so neither is lost).
"""

from __future__ import annotations

from typing import Any

from amlguard.remediate.clients import ML_API_VERSION, RemediationClients
from amlguard.remediate.interface import PlanContext, Proposal, Remediator, manual_for
from amlguard.remediate.live import NETWORK_API_VERSION, LiveView, Tampered, value_at
from amlguard.remediate.plan import Action, ApiCall, Change
from amlguard.remediate.remediators.workspace import MLS, InstanceRef
from amlguard.scanner import ids
from amlguard.scanner.instances import Instance
from amlguard.scanner.targets import computes_of

OPERATION = "update-serverless-compute"
SETTINGS = "properties.serverlessComputeSettings"
SUBNET = f"{SETTINGS}.serverlessComputeCustomSubnet"
NO_PUBLIC_IP = f"{SETTINGS}.serverlessComputeNoPublicIP"
SUBNET_PARAM = "fix_subnet"
JOIN = "Microsoft.Network/virtualNetworks/subnets/join/action"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _compute_subnets(ctx: PlanContext, inst: Instance, vnet: str) -> list[str]:
    """The distinct subnets of ``vnet`` the workspace's computes use, in id order."""
    found: dict[str, str] = {}
    for compute in computes_of(ctx.inventory, inst.id):
        subnet = _text(value_at(compute, "properties.properties.subnet.id"))
        if subnet and ids.norm(ids.vnet_of_subnet(subnet)) == ids.norm(vnet):
            found.setdefault(ids.norm(subnet), subnet)
    return [found[k] for k in sorted(found)]


def choose_subnet(ctx: PlanContext, inst: Instance, rule_id: str) -> tuple[str | None, str]:
    """(the subnet serverless compute belongs in, "") or (None, why none can be chosen)."""
    vnet = inst.solution_vnet or ""
    if not vnet:
        return None, (
            "the instance has no solution VNet (no inbound private endpoint, no solution_subnet "
            "setting): amlguard cannot tell which subnet serverless compute belongs in"
        )
    configured = _text(ctx.param(rule_id, SUBNET_PARAM))
    if configured:
        if ids.norm(ids.vnet_of_subnet(configured)) != ids.norm(vnet):
            return None, (
                f"the configured {SUBNET_PARAM} {ids.short_if_id(configured)} is not a subnet of "
                f"the solution VNet {ids.short_name(vnet)}"
            )
        return configured, ""
    current = _text(value_at(inst.workspace, SUBNET))
    if current and ids.norm(ids.vnet_of_subnet(current)) == ids.norm(vnet):
        return current, ""
    used = _compute_subnets(ctx, inst, vnet)
    if len(used) > 1:
        names = ", ".join(ids.short_name(s) for s in used)
        return None, (
            f"the workspace's computes use {len(used)} subnets of the solution VNet ({names}): "
            f"set the rule parameter {SUBNET_PARAM} to the one serverless compute should use"
        )
    if used:
        return used[0], ""
    subnet = inst.solution_subnet or ""
    if subnet and ids.norm(ids.vnet_of_subnet(subnet)) == ids.norm(vnet):
        return subnet, ""
    return None, "no subnet of the solution VNet is known"


def serverless_action(
    inst: Instance | InstanceRef, subnet: str, before: dict[str, Any], rule_ids: list[str]
) -> Action:
    """The PATCH that puts serverless compute in ``subnet`` without public IPs (``before``:
    the current subnet and no-public-IP values by path)."""
    changes = []
    if ids.norm(_text(before.get(SUBNET))) != ids.norm(subnet):
        changes.append(Change(inst.id, SUBNET, before.get(SUBNET), subnet))
    if before.get(NO_PUBLIC_IP) is not True:
        changes.append(Change(inst.id, NO_PUBLIC_IP, before.get(NO_PUBLIC_IP), True))
    settings = {"serverlessComputeCustomSubnet": subnet, "serverlessComputeNoPublicIP": True}
    return Action(
        id="",
        remediator=WorkspaceServerlessCompute.name,
        operation=OPERATION,
        instance=inst.id,
        target=inst.id,
        summary=(
            f"Workspace {inst.name}: run serverless compute in subnet {ids.short_name(subnet)} "
            "without public IPs"
        ),
        call=ApiCall("PATCH", inst.id, ML_API_VERSION, "ARM PATCH"),
        body={"properties": {"serverlessComputeSettings": settings}},
        changes=tuple(changes),
        rule_ids=tuple(rule_ids),
        params={"subnet": subnet},
    )


def _before(ws: Any) -> dict[str, Any]:
    return {SUBNET: value_at(ws, SUBNET), NO_PUBLIC_IP: value_at(ws, NO_PUBLIC_IP)}


class WorkspaceServerlessCompute(Remediator):
    """serverlessComputeSettings: a subnet of the solution VNet, no public IPs."""

    name = "workspace-serverless-compute"

    def plan(self, findings: list[Any], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f in findings:
            inst = ctx.instance_of(f)
            if ids.norm(f.resource_id) != ids.norm(inst.id):
                continue  # only ever the instance's own workspace
            subnet, why = choose_subnet(ctx, inst, f.rule_id)
            if subnet is None:
                out.manual.append(manual_for(f, inst, why))
                continue
            action = serverless_action(inst, subnet, _before(inst.workspace), [f.rule_id])
            if action.changes:
                out.actions.append(action)
        return out

    def apply(self, action: Action, clients: RemediationClients) -> str:
        clients.patch(action.target, action.body, action.call.api_version)
        return "patched"

    def permissions(self, action: Action) -> list[tuple[str, str]]:
        subnet = _text(action.params.get("subnet"))
        return [(action.target, f"{MLS}/write"), *([(subnet, JOIN)] if subnet else [])]

    def rebuild(self, action: Action, live: LiveView) -> Action:
        """Accepted when the subnet exists and is the live workspace's current one, the
        configured one, or in the VNet of one of its approved inbound private endpoints."""
        if action.operation != OPERATION or ids.norm(action.target) != ids.norm(action.instance):
            raise Tampered(f"{self.name} only PATCHes the serverless settings of its workspace")
        ws = live.workspace(action.instance)
        subnet = _text(action.params.get("subnet"))
        if not subnet or not ids.vnet_of_subnet(subnet):
            raise Tampered(f"serverless subnet {subnet!r} is not a subnet id")
        if not _subnet_exists(live, subnet):
            raise Tampered(f"subnet {ids.short_if_id(subnet)} does not exist")
        accepted = {ids.norm(_text(value_at(ws, SUBNET)))} | {
            ids.norm(_text(live.param(action.rule_ids, SUBNET_PARAM)))
        }
        vnets = {ids.norm(v) for v in _inbound_vnets(ws, live)}
        if ids.norm(subnet) not in accepted - {""} and (
            ids.norm(ids.vnet_of_subnet(subnet)) not in vnets
        ):
            raise Tampered(
                f"subnet {ids.short_if_id(subnet)} is not in the VNet of the workspace's inbound "
                "private endpoint, nor its current or configured serverless subnet"
            )
        for c in action.changes:
            if c.path not in (SUBNET, NO_PUBLIC_IP):
                raise Tampered(f"a serverless compute action cannot change {c.path}")
        return serverless_action(
            InstanceRef(action.instance), subnet, _before(ws), list(action.rule_ids)
        )


def _inbound_vnets(ws: Any, live: LiveView) -> list[str]:
    """The VNets of the workspace's approved inbound private endpoints, read from ARM."""
    out = []
    for conn in value_at(ws, "properties.privateEndpointConnections") or []:
        status = value_at(conn, "properties.privateLinkServiceConnectionState.status")
        pe = _text(value_at(conn, "properties.privateEndpoint.id"))
        if str(status or "").lower() != "approved" or not pe:
            continue
        subnet = _text(value_at(live.get(pe, NETWORK_API_VERSION), "properties.subnet.id"))
        if subnet:
            out.append(ids.vnet_of_subnet(subnet))
    return out


def _subnet_exists(live: LiveView, subnet: str) -> bool:
    """Whether the live VNet that would hold ``subnet`` lists it."""
    vnet = live.get(ids.vnet_of_subnet(subnet), NETWORK_API_VERSION)
    listed = value_at(vnet, "properties.subnets") or []
    name = ids.short_name(subnet).lower()
    return any(
        isinstance(s, dict)
        and (
            ids.norm(_text(s.get("id"))) == ids.norm(subnet) or _text(s.get("name")).lower() == name
        )
        for s in listed
    )
