"""``public-network-access``: an ARM PATCH on storage, key vault, registry, AI accounts and AI Search.

Only once that resource has an approved private endpoint with its DNS zone group (existing, or
created earlier in the same plan): cutting public access first would lock every client out, and
without the zone group clients in the VNet still resolve the public name. The PATCH body holds
``publicNetworkAccess`` only; every other property (network ACLs, IP rules) is left as it is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from amlguard.remediate import dnsready
from amlguard.remediate.clients import RemediationClients, api_version_of
from amlguard.remediate.interface import PlanContext, Proposal, Remediator, manual_for
from amlguard.remediate.live import LiveView, NotReady, Tampered, value_at
from amlguard.remediate.plan import CUTS_PUBLIC_ACCESS, Action, ApiCall, Change
from amlguard.remediate.remediators.workspace import endpoint_ready
from amlguard.scanner import ids
from amlguard.scanner.model import Finding

# lower-case type -> the spelling of its RBAC write action
PATCHABLE = {
    "microsoft.storage/storageaccounts": "Microsoft.Storage/storageAccounts",
    "microsoft.keyvault/vaults": "Microsoft.KeyVault/vaults",
    "microsoft.containerregistry/registries": "Microsoft.ContainerRegistry/registries",
    "microsoft.cognitiveservices/accounts": "Microsoft.CognitiveServices/accounts",
    "microsoft.search/searchservices": "Microsoft.Search/searchServices",
}
#: the value that disables public access where a type's API does not spell it "Disabled"
#: (Microsoft.Search's enum is lower-case: enabled, disabled, securedByPerimeter)
DISABLED_VALUE = {"microsoft.search/searchservices": "disabled"}


def access_action(
    instance_id: str, target: str, before: Any, rule_ids: tuple[str, ...], remediator: str
) -> Action:
    """The PATCH that disables public network access on ``target`` (and sends nothing else)."""
    value = DISABLED_VALUE.get(ids.parse(target).type.lower(), "Disabled")
    return Action(
        id="",
        remediator=remediator,
        operation="disable-public-network-access",
        instance=instance_id,
        target=target,
        summary=f"Disable public network access on {ids.parse(target).name}",
        call=ApiCall("PATCH", target, api_version_of(ids.parse(target).type), "ARM PATCH"),
        body={"properties": {"publicNetworkAccess": value}},
        changes=(Change(target, "properties.publicNetworkAccess", before, value),),
        rule_ids=rule_ids,
        flags=(CUTS_PUBLIC_ACCESS,),
        params={"endpoint_target": target},
    )


class PublicNetworkAccess(Remediator):
    """Sets ``properties.publicNetworkAccess`` to Disabled with a PATCH."""

    name = "public-network-access"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f, inst, target, row, rtype in ctx.owned_targets(findings):
            if rtype not in PATCHABLE:
                out.manual.append(manual_for(f, inst, f"no PATCH is known for {rtype}"))
                continue
            dns = dnsready.dns_problem(ctx, inst, target, dnsready.planned_zones(ctx, inst, target))
            if dns:  # cutting it now would lock the VNet's clients out: a manual step says why
                out.manual.append(manual_for(f, inst, dnsready.waiting(target, dns)))
                out.warnings.append(dnsready.waiting(target, dns))
                continue
            before = (row.get("properties") or {}).get("publicNetworkAccess")
            action = access_action(inst.id, target, before, (f.rule_id,), self.name)
            out.actions.append(
                replace(
                    action,
                    params={
                        **action.params,
                        "ready": endpoint_ready(ctx, target),
                        "blocked_rule": f.rule_id,
                        "blocked_command": manual_for(f, inst, "").command,
                    },
                )
            )
        return out

    def apply(self, action: Action, clients: RemediationClients) -> str:
        why = LiveView(clients.get).endpoint_not_ready(action.target)
        if why:
            raise NotReady(f"not disabling public access: {why}; it would lock users out")
        clients.patch(action.target, action.body, action.call.api_version)
        return "patched"

    def permissions(self, action: Action) -> list[tuple[str, str]]:
        rtype = ids.parse(action.target).type.lower()
        return [(action.target, f"{PATCHABLE.get(rtype, rtype)}/write")]

    def rebuild(self, action: Action, live: LiveView) -> Action:
        if action.operation != "disable-public-network-access":
            raise Tampered(f"{self.name} does not do {action.operation}")
        if ids.parse(action.target).type.lower() not in PATCHABLE:
            raise Tampered(f"{self.name} does not PATCH {ids.parse(action.target).type}")
        if not live.owns(action.instance, action.target):
            raise Tampered(f"{action.target} is not part of workspace {action.instance}")
        row = live.get(action.target)
        before = value_at(row, "properties.publicNetworkAccess")
        return access_action(action.instance, action.target, before, action.rule_ids, self.name)
