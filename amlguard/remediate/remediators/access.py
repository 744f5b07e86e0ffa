"""``public-network-access``: an ARM PATCH on storage, key vault, registry and AI accounts.

Only once that resource has an approved private endpoint (existing, or created earlier in the
same plan): cutting public access first would lock every client out.
"""

from __future__ import annotations

from amlguard.remediate.clients import RemediationClients, api_version_of
from amlguard.remediate.interface import PlanContext, Proposal, Remediator, manual_for, register
from amlguard.remediate.plan import CUTS_PUBLIC_ACCESS, Action, ApiCall, Change
from amlguard.remediate.remediators.workspace import has_approved_endpoint
from amlguard.scanner import ids
from amlguard.scanner.model import Finding

PATCHABLE = {
    "microsoft.storage/storageaccounts",
    "microsoft.keyvault/vaults",
    "microsoft.containerregistry/registries",
    "microsoft.cognitiveservices/accounts",
}


@register
class PublicNetworkAccess(Remediator):
    """Sets ``properties.publicNetworkAccess`` to Disabled with a PATCH."""

    name = "public-network-access"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f, inst, target, row, rtype in ctx.owned_targets(findings):
            if rtype not in PATCHABLE:
                out.manual.append(manual_for(f, inst, f"no PATCH is known for {rtype}"))
                continue
            before = (row.get("properties") or {}).get("publicNetworkAccess")
            version = api_version_of(rtype)
            out.actions.append(
                Action(
                    id="",
                    remediator=self.name,
                    operation="disable-public-network-access",
                    instance=inst.id,
                    target=target,
                    summary=f"Disable public network access on {ids.parse(target).name}",
                    call=ApiCall("PATCH", target, version, "ARMPipelineClient PATCH"),
                    body={"properties": {"publicNetworkAccess": "Disabled"}},
                    changes=(Change(target, "properties.publicNetworkAccess", before, "Disabled"),),
                    rule_ids=(f.rule_id,),
                    flags=(CUTS_PUBLIC_ACCESS,),
                    params={
                        "endpoint_target": target,
                        "has_endpoint": has_approved_endpoint(ctx, target),
                        "blocked_rule": f.rule_id,
                        "blocked_command": manual_for(f, inst, "").command,
                    },
                )
            )
        return out

    def apply(self, action: Action, clients: RemediationClients) -> str:
        clients.patch(action.target, action.body, action.call.api_version)
        return "patched"

    def permissions(self, action: Action) -> list[tuple[str, str]]:
        rtype = ids.parse(action.target).type
        namespace, _, rest = rtype.partition("/")
        spelled = {
            "microsoft.storage/storageaccounts": "Microsoft.Storage/storageAccounts",
            "microsoft.keyvault/vaults": "Microsoft.KeyVault/vaults",
            "microsoft.containerregistry/registries": "Microsoft.ContainerRegistry/registries",
            "microsoft.cognitiveservices/accounts": "Microsoft.CognitiveServices/accounts",
        }.get(rtype, f"{namespace}/{rest}")
        return [(action.target, f"{spelled}/write")]
