"""Workspace remediators, all through azure-ai-ml's MLClient (imported only when applying).

- ``workspace-settings``: isolation-mode upgrades and imageBuildCompute (one PATCH, phase 2),
  publicNetworkAccess (its own PATCH, after the inbound private endpoint exists);
(``outbound-rules`` and ``managed-network-provision`` are in ``outbound.py``.)
"""

from __future__ import annotations

from typing import Any

from amlguard.remediate.clients import ML_API_VERSION, RemediationClients
from amlguard.remediate.interface import (
    PlanContext,
    Proposal,
    Remediator,
    manual_for,
    register,
)
from amlguard.remediate.plan import (
    CUTS_PUBLIC_ACCESS,
    IRREVERSIBLE,
    Action,
    ApiCall,
    Change,
)
from amlguard.scanner import ids
from amlguard.scanner.instances import Instance
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


def _ml_names(instance: Instance) -> tuple[str, str, str]:
    p = ids.parse(instance.id)
    return p.subscription_id, p.resource_group, p.name


def workspace_action(
    instance: Instance,
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
        call=call
        or ApiCall("PATCH", instance.id, ML_API_VERSION, "MLClient.workspaces.begin_update"),
        body=body,
        changes=tuple(changes),
        rule_ids=tuple(rule_ids),
        flags=tuple(sorted(set(flags))),
        params=params or {},
    )


def has_approved_endpoint(ctx: PlanContext, target_id: str) -> bool:
    for _pe, conn in ctx.inventory.endpoints_by_target.get(ids.norm(target_id), []):
        state = ((conn.get("properties") or {}).get("privateLinkServiceConnectionState")) or {}
        if str(state.get("status", "")).lower() == "approved":
            return True
    return False


def _apply_workspace_update(action: Action, clients: RemediationClients) -> str:
    sub, rg, name = (
        ids.parse(action.target).subscription_id,
        ids.parse(action.target).resource_group,
        ids.parse(action.target).name,
    )
    ml = clients.ml(sub, rg)
    # Start from the live workspace so every other setting (and every user rule) round-trips as is.
    ws = ml.workspaces.get(name)
    props = action.body.get("properties", {})
    if "publicNetworkAccess" in props:
        ws.public_network_access = props["publicNetworkAccess"]
    if "imageBuildCompute" in props:
        ws.image_build_compute = props["imageBuildCompute"]
    mode = (props.get("managedNetwork") or {}).get("isolationMode")
    if mode:
        from azure.ai.ml.entities import ManagedNetwork

        if ws.managed_network is None:
            ws.managed_network = ManagedNetwork(isolation_mode=mode)
        else:
            ws.managed_network.isolation_mode = mode
    ml.workspaces.begin_update(ws).result()
    return "updated"


@register
class WorkspaceSettings(Remediator):
    """publicNetworkAccess, isolation-mode upgrades and imageBuildCompute of a workspace."""

    name = "workspace-settings"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f in findings:
            inst = ctx.instance_of(f)
            if f.rule_id == "AMLG-101":
                self._public_access(f, inst, ctx, out)
            elif f.rule_id == "AMLG-102":
                self._isolation(f, inst, ctx, out)
            elif f.rule_id == "AMLG-107":
                self._image_build(f, inst, ctx, out)
            else:
                out.manual.append(manual_for(f, inst, f"{self.name} does not handle {f.rule_id}"))
        return out

    def _public_access(self, f: Finding, inst: Instance, ctx: PlanContext, out: Proposal) -> None:
        props = _props(inst.workspace)
        if props.get("allowPublicAccessWhenBehindVnet") is True:
            out.manual.append(
                manual_for(
                    f,
                    inst,
                    "allowPublicAccessWhenBehindVnet is true; azure-ai-ml cannot clear it",
                )
            )
        before = props.get("publicNetworkAccess")
        if str(before).lower() == "disabled":
            return
        out.actions.append(
            workspace_action(
                inst,
                "disable-public-network-access",
                f"Disable public network access on workspace {inst.name}",
                [Change(inst.id, "properties.publicNetworkAccess", before, "Disabled")],
                [f.rule_id],
                [CUTS_PUBLIC_ACCESS],
                {"properties": {"publicNetworkAccess": "Disabled"}},
                self.name,
                {
                    "endpoint_target": inst.id,
                    "has_endpoint": has_approved_endpoint(ctx, inst.id),
                    "blocked_rule": f.rule_id,
                    "blocked_command": manual_for(f, inst, "").command,
                },
            )
        )

    def _isolation(self, f: Finding, inst: Instance, ctx: PlanContext, out: Proposal) -> None:
        allowed = [str(m) for m in ctx.param(f.rule_id, "allowed_modes") or []]
        current = str(network_of(inst.workspace).get("isolationMode") or "Disabled")
        rank = {m.lower(): i for i, m in enumerate(MODES)}
        now = rank.get(current.lower(), 0)
        upgrades = [
            m for m in MODES if rank[m.lower()] > now and m.lower() in {a.lower() for a in allowed}
        ]
        if not upgrades:
            out.manual.append(
                manual_for(
                    f,
                    inst,
                    f"isolation mode {current} can only be reached by a downgrade, which Azure rejects "
                    "and amlguard never attempts",
                )
            )
            return
        after = upgrades[0]  # the smallest upgrade that passes
        out.actions.append(
            workspace_action(
                inst,
                "update-workspace-settings",
                f"Upgrade managed network isolation of workspace {inst.name} to {after}",
                [
                    Change(
                        inst.id,
                        "properties.managedNetwork.isolationMode",
                        current if current in MODES else None,
                        after,
                    )
                ],
                [f.rule_id],
                [IRREVERSIBLE],
                {"properties": {"managedNetwork": {"isolationMode": after}}},
                self.name,
            )
        )

    def _image_build(self, f: Finding, inst: Instance, ctx: PlanContext, out: Proposal) -> None:
        name = ctx.param(f.rule_id, "compute_name")
        if not name:
            out.manual.append(manual_for(f, inst, "no image build compute is configured"))
            return
        compute_id = f"{inst.id}/computes/{name}"
        if ctx.reader is None:
            out.manual.append(
                manual_for(
                    f,
                    inst,
                    f"cannot check offline that compute {name} exists; run --fix against Azure",
                )
            )
            return
        if ctx.reader(compute_id) is None:
            out.manual.append(
                manual_for(
                    f, inst, f"the configured compute {name} does not exist in the workspace"
                )
            )
            return
        out.actions.append(
            workspace_action(
                inst,
                "update-workspace-settings",
                f"Set imageBuildCompute of workspace {inst.name} to {name}",
                [
                    Change(
                        inst.id,
                        "properties.imageBuildCompute",
                        _props(inst.workspace).get("imageBuildCompute"),
                        name,
                    )
                ],
                [f.rule_id],
                [],
                {"properties": {"imageBuildCompute": name}},
                self.name,
            )
        )

    def apply(self, action: Action, clients: RemediationClients) -> str:
        return _apply_workspace_update(action, clients)

    def permissions(self, action: Action) -> list[tuple[str, str]]:
        return [(action.target, f"{MLS}/write")]
