"""``private-endpoint``: an endpoint per missing group id in the solution subnet, then its zones.

Through azure-mgmt-network (imported only when applying). The endpoint goes into the solution
VNet's subscription and resource group, in the VNet's region; its DNS zone group names the
zones of blueprint.md section 1 that exist in the scan. A zone that does not exist becomes a
manual step with its ``az`` command. Refused (manual): a registry that is not Premium, an AI
account without a custom subdomain, an instance without a solution subnet.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from amlguard.remediate.clients import RemediationClients
from amlguard.remediate.interface import PlanContext, Proposal, Remediator, manual_for
from amlguard.remediate.live import LiveView, Tampered, value_at
from amlguard.remediate.plan import COSTS_MONEY, Action, ApiCall, Change, ManualStep
from amlguard.scanner import ids, zonegroups
from amlguard.scanner.instances import Instance
from amlguard.scanner.inventory import DNS_ZONE
from amlguard.scanner.model import Finding
from amlguard.scanner.privatelink import default_table

NETWORK_API_VERSION = "2024-05-01"  # what the plan shows; the SDK sends its own default

# The group ids each target type must have an endpoint for (blueprint.md section 3).
REQUIRED_GROUPS = {
    "microsoft.machinelearningservices/workspaces": ["amlworkspace"],
    "microsoft.storage/storageaccounts": ["blob", "file"],
    "microsoft.keyvault/vaults": ["vault"],
    "microsoft.containerregistry/registries": ["registry"],
    "microsoft.cognitiveservices/accounts": ["account"],
    "microsoft.search/searchservices": ["searchService"],
}


def _status(conn: dict[str, Any]) -> str:
    state = ((conn.get("properties") or {}).get("privateLinkServiceConnectionState")) or {}
    return str(state.get("status", "")).lower()


def _groups(conn: dict[str, Any]) -> set[str]:
    return {str(g).lower() for g in (conn.get("properties") or {}).get("groupIds") or []}


def _zone_ids(ctx: PlanContext, inst: Instance, zone: str) -> str | None:
    """The id of private DNS zone ``zone``: one linked to the solution VNet first, else the instance's RG."""
    rows = [
        r for r in ctx.inventory.of_type(DNS_ZONE) if str(r.get("name", "")).lower() == zone.lower()
    ]
    if not rows:
        return None

    def rank(r: dict[str, Any]) -> tuple[int, int, str]:
        links = ctx.inventory.links_by_zone.get(ids.norm(r["id"]), [])
        linked = any(
            ids.norm(((lk.get("properties") or {}).get("virtualNetwork") or {}).get("id"))
            == ids.norm(inst.solution_vnet)
            for lk in links
        )
        same_rg = ids.norm(ids.resource_group_scope(r["id"])) == ids.norm(
            ids.resource_group_scope(inst.id)
        )
        return (0 if linked else 1, 0 if same_rg else 1, ids.norm(r["id"]))

    return str(sorted(rows, key=rank)[0]["id"])


def endpoint_name(target_id: str, group: str) -> str:
    """``<target>-pe-<group>``, within the 80 characters Azure allows."""
    name = re.sub(r"[^a-zA-Z0-9._-]", "-", f"{ids.parse(target_id).name}-pe-{group}")
    return name[:80]


class PrivateEndpoints(Remediator):
    """Creates missing private endpoints and their DNS zone groups."""

    name = "private-endpoint"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f, inst, target, row, rtype in ctx.owned_targets(findings):
            blocked = self._blocked(row, rtype, inst)
            if blocked:
                out.manual.append(manual_for(f, inst, blocked))
                continue
            existing = ctx.inventory.endpoints_by_target.get(ids.norm(target), [])
            for group in REQUIRED_GROUPS.get(rtype, []):
                zones = ctx.private_link.zones(rtype, row.get("kind"), group, ctx.cloud)
                approved = [
                    pe for pe, c in existing if _status(c) == "approved" and group in _groups(c)
                ]
                if approved:
                    self._zone_group_for_existing(f, inst, ctx, approved[0], target, zones, out)
                    continue
                self._new_endpoint(f, inst, ctx, target, row, group, zones, out)
        return out

    @staticmethod
    def _blocked(row: dict[str, Any], rtype: str, inst: Instance) -> str:
        if not inst.solution_subnet:
            return (
                "the instance has no solution subnet to put the endpoint in (set solution_subnet)"
            )
        if rtype == "microsoft.containerregistry/registries":
            sku = str((row.get("sku") or {}).get("name", ""))
            if sku.lower() != "premium":
                return (
                    f"refused: registry SKU is {sku or 'unknown'}; private endpoints need Premium "
                    "(AMLG-221, costs money)"
                )
        if rtype == "microsoft.search/searchservices":
            sku = str((row.get("sku") or {}).get("name", ""))
            if sku.lower() == "free":
                return "refused: the free AI Search tier has no private endpoints (AMLG-235)"
        if rtype == "microsoft.cognitiveservices/accounts" and not (
            row.get("properties") or {}
        ).get("customSubDomainName"):
            return "refused: the account has no custom subdomain, which private endpoints need (AMLG-232, irreversible)"
        return ""

    def _zone_group_for_existing(
        self,
        f: Finding,
        inst: Instance,
        ctx: PlanContext,
        pe: dict[str, Any],
        target: str,
        zones: list[str],
        out: Proposal,
    ) -> None:
        groups = ctx.inventory.zone_groups_by_endpoint.get(ids.norm(pe["id"]), [])
        broken = zonegroups.problem(ctx.inventory, str(pe["id"]))
        if broken:  # a zone group that failed (or has not settled) wrote no records
            out.manual.append(
                manual_for(
                    f,
                    inst,
                    f"{broken}; amlguard does not rewrite an existing zone group: fix what "
                    "stopped it (for example a denied write into a central zone) and redeploy it",
                )
            )
            return
        have = {
            str((c.get("properties") or {}).get("privateDnsZoneId") or "")
            .rsplit("/", 1)[-1]
            .lower()
            for g in groups
            for c in (g.get("properties") or {}).get("privateDnsZoneConfigs") or []
        }
        if all(z.lower() in have for z in zones):
            return
        if groups:
            out.manual.append(
                manual_for(
                    f,
                    inst,
                    f"endpoint {pe['name']} has a DNS zone group without all of {', '.join(zones)}; "
                    "amlguard does not rewrite an existing zone group",
                )
            )
            return
        self._zone_group(f, inst, ctx, str(pe["id"]), target, zones, out, depends_on_new=False)

    def _new_endpoint(
        self,
        f: Finding,
        inst: Instance,
        ctx: PlanContext,
        target: str,
        row: dict[str, Any],
        group: str,
        zones: list[str],
        out: Proposal,
    ) -> None:
        subnet = str(inst.solution_subnet)
        vnet = ctx.inventory.get(inst.solution_vnet) or {}
        location = str(
            vnet.get("location") or row.get("location") or inst.workspace.get("location")
        )
        action = endpoint_action(inst.id, target, group, subnet, location, (f.rule_id,))
        out.actions.append(action)
        pe_id = action.target
        self._zone_group(f, inst, ctx, pe_id, target, zones, out, depends_on_new=True)

    def _zone_group(
        self,
        f: Finding,
        inst: Instance,
        ctx: PlanContext,
        pe_id: str,
        target: str,
        zones: list[str],
        out: Proposal,
        depends_on_new: bool,
    ) -> None:
        found: list[str] = []
        for zone in zones:
            zid = _zone_ids(ctx, inst, zone)
            if zid is None:
                rg = ids.parse(inst.solution_vnet or inst.id)
                out.manual.append(
                    ManualStep(
                        f.rule_id,
                        target,
                        inst.id,
                        f"private DNS zone {zone} does not exist; create and link it, then rerun --fix",
                        f"az network private-dns zone create --resource-group {rg.resource_group} "
                        f"--subscription {rg.subscription_id} --name {zone} && "
                        f"az network private-dns link vnet create --resource-group {rg.resource_group} "
                        f"--subscription {rg.subscription_id} --zone-name {zone} --name {inst.name}-link "
                        f"--virtual-network {inst.solution_vnet} --registration-enabled false",
                    )
                )
            else:
                found.append(zid)
        if not found:
            return
        action = zone_group_action(inst.id, pe_id, target, found, (f.rule_id,))
        params = {**action.params, "new_endpoint": depends_on_new}
        out.actions.append(replace(action, params={**params, "complete": len(found) == len(zones)}))

    def apply(self, action: Action, clients: RemediationClients) -> str:
        p = ids.parse(action.params["private_endpoint_id"])
        client = clients.network(p.subscription_id)
        if action.operation == "create-private-endpoint":
            client.private_endpoints.begin_create_or_update(
                p.resource_group, p.name, action.body
            ).result()
            return "created"
        client.private_dns_zone_groups.begin_create_or_update(
            p.resource_group, p.name, action.target.rsplit("/", 1)[-1], action.body
        ).result()
        return "created"

    def permissions(self, action: Action) -> list[tuple[str, str]]:
        if action.operation == "create-private-endpoint":
            subnet = action.body["properties"]["subnet"]["id"]
            return [
                (action.target, "Microsoft.Network/privateEndpoints/write"),
                (subnet, "Microsoft.Network/virtualNetworks/subnets/join/action"),
            ]
        zones = [
            c["properties"]["privateDnsZoneId"]
            for c in action.body["properties"]["privateDnsZoneConfigs"]
        ]
        return [
            (action.target, "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/write")
        ] + [(z, "Microsoft.Network/privateDnsZones/join/action") for z in zones]

    def rebuild(self, action: Action, live: LiveView) -> Action:
        """Endpoint or zone group re-derived from the declared target, group, subnet and zones,
        each checked against the live resources and the private link table."""
        target = str(action.params.get("endpoint_target") or "")
        if not live.owns(action.instance, target):
            raise Tampered(f"{target or 'the endpoint target'} is not part of the workspace")
        row = live.get(target)
        if row is None:
            raise Tampered(f"private link target {target} does not exist")
        rtype = ids.parse(target).type.lower()
        table = default_table()
        if action.operation == "create-private-endpoint":
            group = str(action.params.get("group") or "")
            if group.lower() not in [g.lower() for g in REQUIRED_GROUPS.get(rtype, [])]:
                raise Tampered(f"group id {group!r} is not one {rtype} needs")
            built = rebuilt_endpoint(action, live, target, row, group)
            return built
        if action.operation != "create-dns-zone-group":
            raise Tampered(f"{self.name} does not do {action.operation}")
        pe_id = str(action.params.get("private_endpoint_id") or "")
        if ids.norm(action.target) != ids.norm(f"{pe_id}/privateDnsZoneGroups/default"):
            raise Tampered("a zone group action names its endpoint's default zone group")
        group = pe_id.rsplit("-pe-", 1)[-1] if "-pe-" in pe_id else ""
        wanted: set[str] = set()
        for g in REQUIRED_GROUPS.get(rtype, []):
            if not group or g.lower() == group.lower():
                wanted |= {z.lower() for z in table.zones(rtype, row.get("kind"), g, live.cloud)}
        return rebuilt_zone_group(action, live, target, pe_id, wanted)


def endpoint_action(
    instance_id: str,
    target: str,
    group: str,
    subnet: str,
    location: str,
    rule_ids: tuple[str, ...],
) -> Action:
    """The PUT of private endpoint ``<target>-pe-<group>`` in ``subnet``."""
    vp = ids.parse(subnet)
    name = endpoint_name(target, group)
    pe_id = (
        f"/subscriptions/{vp.subscription_id}/resourceGroups/{vp.resource_group}"
        f"/providers/Microsoft.Network/privateEndpoints/{name}"
    )
    body = {
        "location": location,
        "properties": {
            "subnet": {"id": subnet},
            "privateLinkServiceConnections": [
                {"name": name, "properties": {"privateLinkServiceId": target, "groupIds": [group]}}
            ],
        },
    }
    return Action(
        id="",
        remediator="private-endpoint",
        operation="create-private-endpoint",
        instance=instance_id,
        target=pe_id,
        summary=(
            f"Create private endpoint {name} ({group}) for {ids.parse(target).name} "
            f"in subnet {ids.parse(subnet).name}"
        ),
        call=ApiCall(
            "PUT",
            pe_id,
            NETWORK_API_VERSION,
            "NetworkManagementClient.private_endpoints.begin_create_or_update",
        ),
        body=body,
        changes=(
            Change(pe_id, None, False, True, label=f"private endpoint {name}"),
            Change(
                target,
                None,
                True,
                True,
                label=f"{ids.parse(target).name} (gains an approved connection)",
            ),
        ),
        rule_ids=rule_ids,
        flags=(COSTS_MONEY,),
        params={"private_endpoint_id": pe_id, "endpoint_target": target, "group": group},
    )


def zone_group_action(
    instance_id: str, pe_id: str, target: str, zone_ids: list[str], rule_ids: tuple[str, ...]
) -> Action:
    """The PUT of the endpoint's ``default`` DNS zone group naming ``zone_ids``."""
    zg_id = f"{pe_id}/privateDnsZoneGroups/default"
    body = {
        "properties": {
            "privateDnsZoneConfigs": [
                {
                    "name": z.rsplit("/", 1)[-1].replace(".", "-"),
                    "properties": {"privateDnsZoneId": z},
                }
                for z in zone_ids
            ]
        }
    }
    return Action(
        id="",
        remediator="private-endpoint",
        operation="create-dns-zone-group",
        instance=instance_id,
        target=zg_id,
        summary=f"Add DNS zone group to {ids.parse(pe_id).name}: "
        + ", ".join(z.rsplit("/", 1)[-1] for z in zone_ids),
        call=ApiCall(
            "PUT",
            zg_id,
            NETWORK_API_VERSION,
            "NetworkManagementClient.private_dns_zone_groups.begin_create_or_update",
        ),
        body=body,
        changes=(Change(zg_id, None, False, True, label="DNS zone group default"),),
        rule_ids=rule_ids,
        params={"private_endpoint_id": pe_id, "endpoint_target": target},
    )


def rebuilt_endpoint(action: Action, live: LiveView, target: str, row: Any, group: str) -> Action:
    """A saved create-private-endpoint action re-derived from its target, group id and subnet,
    each checked against the live resources: the subnet exists, the name is amlguard's."""
    subnet = str(value_at(action.body, "properties.subnet.id") or "")
    vnet = live.get(subnet.split("/subnets/")[0]) if "/subnets/" in subnet else None
    if vnet is None or not any(
        ids.norm(s.get("id")) == ids.norm(subnet)
        for s in value_at(vnet, "properties.subnets") or []
        if isinstance(s, dict)
    ):
        raise Tampered(f"subnet {subnet or '(none)'} does not exist")
    location = str(vnet.get("location") or row.get("location") or "")
    built = endpoint_action(action.instance, target, group, subnet, location, action.rule_ids)
    if ids.norm(built.target) != ids.norm(action.target):
        raise Tampered(f"endpoint {action.target} is not named as amlguard names it")
    return built


def rebuilt_zone_group(
    action: Action, live: LiveView, target: str, pe_id: str, wanted: set[str]
) -> Action:
    """A saved create-dns-zone-group action re-derived from its zones: each is a private DNS
    zone the target needs (``wanted``, lower-case names) and exists."""
    zones = [
        str(value_at(c, "properties.privateDnsZoneId") or "")
        for c in value_at(action.body, "properties.privateDnsZoneConfigs") or []
    ]
    for z in zones:
        if ids.parse(z).type.lower() != DNS_ZONE or z.rsplit("/", 1)[-1].lower() not in wanted:
            raise Tampered(f"{z or '(none)'} is not a private DNS zone {target} needs")
        if live.get(z) is None:
            raise Tampered(f"private DNS zone {z} does not exist")
    if not zones:
        raise Tampered("a zone group without zones")
    built = zone_group_action(action.instance, pe_id, target, zones, action.rule_ids)
    extra: dict[str, Any] = {
        k: action.params[k] for k in ("new_endpoint", "complete") if k in action.params
    }
    return replace(built, params={**built.params, **extra})
