"""Workspace settings remediators: each a raw ARM PATCH that sends only what it changes.

- ``workspace-public-access``: publicNetworkAccess Disabled (its own PATCH, once the inbound
  private endpoint and its DNS zone group are in place);
- ``workspace-isolation-mode`` and ``workspace-image-build-compute``: isolation-mode upgrades and
  imageBuildCompute (merged into one PATCH, phase 2).

Every other property of the workspace (``networkAcls``, user outbound rules, tags) is left as it
is: the PATCH body holds only the properties the action owns. (``outbound-rules`` and
``managed-network-provision`` are in ``outbound.py``.)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from amlguard.remediate import dnsready
from amlguard.remediate.clients import ML_API_VERSION, RemediationClients
from amlguard.remediate.interface import PlanContext, Proposal, Remediator, manual_for
from amlguard.remediate.live import LiveView, NotReady, Tampered, value_at
from amlguard.remediate.plan import CUTS_PUBLIC_ACCESS, IRREVERSIBLE, Action, ApiCall, Change
from amlguard.scanner import ids, provisioning, zonegroups
from amlguard.scanner.instances import Instance
from amlguard.scanner.kindparams import for_kind, from_kind
from amlguard.scanner.model import Finding

MODES = ["Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound"]
MLS = "Microsoft.MachineLearningServices/workspaces"


def _props(row: dict[str, Any] | None) -> dict[str, Any]:
    p = (row or {}).get("properties")
    return p if isinstance(p, dict) else {}


def network_of(ws: dict[str, Any]) -> dict[str, Any]:
    """The workspace's managedNetwork block ({} when absent)."""
    net = _props(ws).get("managedNetwork")
    return net if isinstance(net, dict) else {}


def rules_of(ws: dict[str, Any]) -> dict[str, Any]:
    """The workspace's outbound rules by name."""
    rules = network_of(ws).get("outboundRules")
    return rules if isinstance(rules, dict) else {}


class InstanceRef:
    """An instance known only by its workspace id (when a saved action is re-derived)."""

    def __init__(self, instance_id: str) -> None:
        self.id = instance_id
        self.name = ids.parse(instance_id).name


def workspace_action(
    instance: Instance | InstanceRef,
    operation: str,
    summary: str,
    changes: list[Change],
    rule_ids: list[str],
    flags: list[str],
    body: dict[str, Any],
    remediator: str,
    params: dict[str, Any] | None = None,
    call: ApiCall | None = None,
) -> Action:
    """A draft action whose target is the workspace itself."""
    return Action(
        id="",
        remediator=remediator,
        operation=operation,
        instance=instance.id,
        target=instance.id,
        summary=summary,
        call=call or ApiCall("PATCH", instance.id, ML_API_VERSION, "ARM PATCH"),
        body=body,
        changes=tuple(changes),
        rule_ids=tuple(rule_ids),
        flags=tuple(sorted(set(flags))),
        params=params or {},
    )


def endpoint_ready(ctx: PlanContext, target_id: str) -> bool:
    """Whether the scan shows an approved, provisioned private endpoint of ``target_id`` with a
    DNS zone group."""
    for pe, conn in ctx.inventory.endpoints_by_target.get(ids.norm(target_id), []):
        state = ((conn.get("properties") or {}).get("privateLinkServiceConnectionState")) or {}
        if str(state.get("status", "")).lower() != "approved" or not provisioning.in_place(pe):
            continue  # not approved, or its provisioning failed or has not finished
        groups = ctx.inventory.zone_groups_by_endpoint.get(ids.norm(pe.get("id")), [])
        if groups and not zonegroups.problem(ctx.inventory, str(pe.get("id"))):
            return True  # every zone group wrote its records (a Failed one did not)
    return False


def public_access_action(
    inst: Instance | InstanceRef, before: Any, rule_ids: list[str], remediator: str
) -> Action:
    """The PATCH that disables a workspace's public network access (and nothing else)."""
    return workspace_action(
        inst,
        "disable-public-network-access",
        f"Disable public network access on workspace {inst.name}",
        [Change(inst.id, "properties.publicNetworkAccess", before, "Disabled")],
        rule_ids,
        [CUTS_PUBLIC_ACCESS],
        {"properties": {"publicNetworkAccess": "Disabled"}},
        remediator,
        {"endpoint_target": inst.id},
    )


def settings_action(
    inst: Instance | InstanceRef, changes: list[Change], rule_ids: list[str], remediator: str
) -> Action:
    """One PATCH of isolation mode and/or imageBuildCompute, holding only those properties."""
    props: dict[str, Any] = {}
    parts: list[str] = []
    flags: list[str] = []
    for c in changes:
        if c.path == ISOLATION:
            props.setdefault("managedNetwork", {})["isolationMode"] = c.after
            parts.append(f"upgrade managed network isolation to {c.after}")
            flags.append(IRREVERSIBLE)
        elif c.path == IMAGE_BUILD:
            props["imageBuildCompute"] = c.after
            parts.append(f"set imageBuildCompute to {c.after}")
        else:
            raise Tampered(f"a workspace settings action cannot change {c.path}")
    summary = f"Workspace {inst.name}: " + "; ".join(parts)
    return workspace_action(
        inst,
        "update-workspace-settings",
        summary[0].upper() + summary[1:],
        changes,
        rule_ids,
        flags,
        {"properties": props},
        remediator,
    )


ISOLATION = "properties.managedNetwork.isolationMode"


def first_upgrade(current: str, allowed: list[str]) -> str | None:
    """The weakest mode above ``current`` that ``allowed`` lists (None: only a downgrade would
    pass, which Azure rejects)."""
    rank = {m.lower(): i for i, m in enumerate(MODES)}
    now = rank.get(current.lower(), 0)
    wanted = {a.lower() for a in allowed}
    return next((m for m in MODES if rank[m.lower()] > now and m.lower() in wanted), None)


IMAGE_BUILD = "properties.imageBuildCompute"
COMPUTE_PARAM = "compute_name"


def _rule_params(ctx: PlanContext, rule_id: str) -> dict[str, Any]:
    """A rule's effective parameters (defaults, then the configured values)."""
    rule = ctx.rules.get(rule_id)
    return {**(rule.defaults() if rule else {}), **ctx.parameters.get(rule_id, {})}


def _live_compute(live: LiveView, rule_ids: Any, kind: str) -> tuple[Any, bool]:
    """(the compute a workspace of ``kind`` builds images on, whether it must be an instance)
    from the first of ``rule_ids`` whose parameters name one."""
    for rule_id in rule_ids:
        params = live.parameters.get(str(rule_id).upper(), {})
        name = for_kind(str(rule_id), params, kind).get(COMPUTE_PARAM)
        if name is not None:
            return name, from_kind(str(rule_id), params, COMPUTE_PARAM, kind)
    return None, False


def _is_compute_instance(compute: Any) -> bool:
    ctype = value_at(compute, "properties.computeType") if isinstance(compute, dict) else None
    return str(ctype or "").lower() == "computeinstance"


def _patch_workspace(action: Action, clients: RemediationClients) -> str:
    if action.operation == "disable-public-network-access":
        why = LiveView(clients.get).endpoint_not_ready(action.target)
        if why:
            raise NotReady(f"not disabling public access: {why}; it would lock users out")
    clients.patch(action.target, action.body, action.call.api_version)
    return "patched"


class _WorkspaceRemediator(Remediator):
    """Shared apply/permissions/rebuild of the workspace PATCHes."""

    def apply(self, action: Action, clients: RemediationClients) -> str:
        return _patch_workspace(action, clients)

    def permissions(self, action: Action) -> list[tuple[str, str]]:
        return [(action.target, f"{MLS}/write")]

    def rebuild(self, action: Action, live: LiveView) -> Action:
        ws = live.workspace(action.instance)
        if ids.norm(action.target) != ids.norm(action.instance):
            raise Tampered("a workspace PATCH must target its own workspace")
        ref = InstanceRef(action.instance)
        if action.operation == "disable-public-network-access":
            before = value_at(ws, "properties.publicNetworkAccess")
            built = public_access_action(ref, before, list(action.rule_ids), action.remediator)
            return built
        if action.operation != "update-workspace-settings":
            raise Tampered(f"{action.remediator} does not do {action.operation}")
        changes: list[Change] = []
        for c in action.changes:
            if c.path == ISOLATION:
                # From the declared before-value (the stale check holds it against ARM).
                now = str(c.before or "Disabled")
                allowed = live.param(action.rule_ids, "allowed_modes") or []
                after = first_upgrade(now, [str(m) for m in allowed])
                if after is None or str(c.after).lower() != after.lower():
                    raise Tampered(
                        f"isolation mode {now} -> {c.after} is not the upgrade amlguard plans "
                        f"({after or 'none'})"
                    )
            elif c.path == IMAGE_BUILD:
                kind = str(ws.get("kind") or "") if isinstance(ws, dict) else ""
                after, instance_only = _live_compute(live, action.rule_ids, kind)
                if not isinstance(after, str) or not after or c.after != after:
                    raise Tampered(f"imageBuildCompute {c.after!r} is not the configured compute")
                compute = live.get(f"{action.instance}/computes/{after}")
                if compute is None:
                    raise Tampered(f"compute {after} does not exist in the workspace")
                if instance_only and not _is_compute_instance(compute):
                    raise Tampered(f"compute {after} is not a compute instance")
            else:
                raise Tampered(f"a workspace settings action cannot change {c.path}")
            changes.append(Change(action.instance, c.path, value_at(ws, c.path), after, c.label))
        if not changes:
            raise Tampered("a workspace settings action without a change")
        return settings_action(ref, changes, list(action.rule_ids), action.remediator)


class WorkspacePublicAccess(_WorkspaceRemediator):
    """publicNetworkAccess Disabled, once the inbound endpoint and its zone group exist."""

    name = "workspace-public-access"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f in findings:
            inst = ctx.instance_of(f)
            props = _props(inst.workspace)
            if props.get("allowPublicAccessWhenBehindVnet") is True:
                out.manual.append(
                    manual_for(
                        f,
                        inst,
                        "allowPublicAccessWhenBehindVnet is true; clear it in the portal or "
                        "template (amlguard does not write that legacy property)",
                    )
                )
            before = props.get("publicNetworkAccess")
            if str(before).lower() == "disabled":
                continue
            dns = dnsready.dns_problem(
                ctx, inst, inst.id, dnsready.planned_zones(ctx, inst, inst.id)
            )
            if dns:  # cutting it now would lock the VNet's clients out: a manual step says why
                out.manual.append(manual_for(f, inst, dnsready.waiting(inst.id, dns)))
                out.warnings.append(dnsready.waiting(inst.id, dns))
                continue
            action = public_access_action(inst, before, [f.rule_id], self.name)
            out.actions.append(
                replace(
                    action,
                    params={
                        **action.params,
                        "ready": endpoint_ready(ctx, inst.id),
                        "blocked_rule": f.rule_id,
                        "blocked_command": manual_for(f, inst, "").command,
                    },
                )
            )
        return out


class WorkspaceIsolationMode(_WorkspaceRemediator):
    """Upgrades the isolation mode to the first mode the rule allows; never a downgrade."""

    name = "workspace-isolation-mode"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f in findings:
            inst = ctx.instance_of(f)
            allowed = [str(m) for m in ctx.param(f.rule_id, "allowed_modes") or []]
            current = str(network_of(inst.workspace).get("isolationMode") or "Disabled")
            after = first_upgrade(current, allowed)
            if after is None:
                out.manual.append(
                    manual_for(
                        f,
                        inst,
                        f"isolation mode {current} can only be reached by a downgrade, which "
                        "Azure rejects and amlguard never attempts",
                        # not the rule's command: that would ask for the downgrade
                        f"either allow {current} in AMLG-102's allowed_modes, or recreate the "
                        "workspace with an allowed mode and move its assets",
                    )
                )
                continue
            before = current if current in MODES else None
            change = Change(inst.id, ISOLATION, before, after)
            out.actions.append(settings_action(inst, [change], [f.rule_id], self.name))
        return out


class WorkspaceImageBuildCompute(_WorkspaceRemediator):
    """imageBuildCompute to the configured compute, when it exists in the workspace."""

    name = "workspace-image-build-compute"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f in findings:
            inst = ctx.instance_of(f)
            params = _rule_params(ctx, f.rule_id)
            name = for_kind(f.rule_id, params, inst.kind).get(COMPUTE_PARAM)
            instance_only = from_kind(f.rule_id, params, COMPUTE_PARAM, inst.kind)
            reason = ""
            compute = None
            if not name:
                reason = "no image build compute is configured (rule parameter compute_name)"
            elif ctx.reader is None:
                reason = f"cannot check offline that compute {name} exists; run --fix against Azure"
            elif (compute := ctx.reader(f"{inst.id}/computes/{name}")) is None:
                reason = f"the configured compute {name} does not exist in the workspace"
            elif instance_only and not _is_compute_instance(compute):
                reason = (
                    f"compute {name} is not a compute instance; a {inst.kind or 'workspace'} "
                    "builds images on a compute instance, never a cluster "
                    "(image_build_compute_by_kind)"
                )
            if reason:
                out.manual.append(manual_for(f, inst, reason))
                continue
            before = _props(inst.workspace).get("imageBuildCompute")
            change = Change(inst.id, IMAGE_BUILD, before, str(name))
            out.actions.append(settings_action(inst, [change], [f.rule_id], self.name))
        return out
