"""Remediators for group ids a rule names (issue 13), on the existing write paths.

- ``outbound-rule-groups``: a PrivateEndpoint outbound rule per group id of the rule's
  ``groups`` parameter that an offending target lacks (AMLG-111: the default storage's queue and
  table), written like ``outbound-rules``; a user's rules are never changed or removed;
- ``private-endpoint-groups``: a private endpoint (and DNS zone group) per group id of the rule's
  ``groups`` parameter (AMLG-204: dfs), written like ``private-endpoint``;
- ``integrated-public-network-access``: ``public-network-access`` for integrated storage
  (AMLG-203), with a manual step for an account only a datastore names.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from amlguard.remediate.interface import PlanContext, Proposal, manual_for
from amlguard.remediate.live import LiveView, Tampered, value_at
from amlguard.remediate.plan import Action
from amlguard.remediate.remediators.access import PublicNetworkAccess
from amlguard.remediate.remediators.endpoints import (
    PrivateEndpoints,
    _groups,
    _status,
    rebuilt_endpoint,
    rebuilt_zone_group,
)
from amlguard.remediate.remediators.outbound import (
    _RULE_NAME,
    _RULES,
    OutboundRules,
    outbound_action,
    rule_name_for,
)
from amlguard.remediate.remediators.workspace import rules_of
from amlguard.scanner import ids
from amlguard.scanner.model import Finding
from amlguard.scanner.outbound_sources import missing_groups
from amlguard.scanner.privatelink import default_table


def _wanted(value: Any) -> list[str]:
    return [str(g) for g in value] if isinstance(value, list) else []


class OutboundRuleGroups(OutboundRules):
    """A PrivateEndpoint outbound rule per missing group id of each offending target."""

    name = "outbound-rule-groups"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f in findings:
            inst = ctx.instance_of(f)
            groups = _wanted(ctx.param(f.rule_id, "groups"))
            spark = bool(ctx.param(f.rule_id, "require_spark"))
            rules = rules_of(inst.workspace)
            taken = {n.lower() for n in rules}
            for target in dict.fromkeys(str(t) for t in f.offenders):
                if ids.norm(target) not in inst.members():
                    continue
                known = default_table().group_ids(
                    ids.parse(target).type, (ctx.inventory.get(target) or {}).get("kind")
                )
                for group in missing_groups(inst.workspace, target, groups):
                    if known is not None and group.lower() not in [k.lower() for k in known]:
                        reason = f"{target} offers no private link group {group}"
                        out.manual.append(manual_for(f, inst, reason))
                        continue
                    if self._has_invalid_rule(rules, target, group):
                        reason = (
                            f"an outbound rule to {ids.parse(target).name} ({group}) exists but "
                            "is not valid; amlguard never changes a user's rules"
                        )
                        out.manual.append(manual_for(f, inst, reason))
                        continue
                    name = rule_name_for(f"{target}-{group}", taken)
                    taken.add(name.lower())
                    action = outbound_action(inst.id, target, name, group, spark, (f.rule_id,))
                    out.actions.append(replace(action, remediator=self.name))
        return out

    @staticmethod
    def _has_invalid_rule(rules: dict[str, Any], target: str, group: str) -> bool:
        for rule in rules.values():
            dest = value_at(rule, "destination") if isinstance(rule, dict) else None
            if (
                isinstance(dest, dict)
                and ids.norm(value_at(dest, "serviceResourceId")) == ids.norm(target)
                and str(value_at(dest, "subresourceTarget") or "").lower() == group.lower()
            ):
                return True
        return False

    def rebuild(self, action: Action, live: LiveView) -> Action:
        """Name, destination and group from the declared change and body, each checked."""
        if action.operation != "create-outbound-rule":
            raise Tampered(f"{self.name} does not do {action.operation}")
        if ids.norm(action.target) != ids.norm(action.instance) or len(action.changes) != 1:
            raise Tampered("an outbound rule action names its workspace and one rule")
        live.workspace(action.instance)
        name = str(action.params.get("rule_name") or "")
        change = action.changes[0]
        if (
            not _RULE_NAME.fullmatch(name)
            or change.path != f"{_RULES}.{name}.destination.serviceResourceId"
        ):
            raise Tampered(f"outbound rule name {name!r} does not match its change")
        target = str(change.after or "")
        if not live.owns(action.instance, target) or live.get(target) is None:
            raise Tampered(f"{target} is not part of workspace {action.instance}")
        group = str(value_at(action.body, "properties.destination.subresourceTarget") or "")
        wanted = [g.lower() for g in _wanted(live.param(action.rule_ids, "groups"))]
        if group.lower() not in wanted:
            raise Tampered(f"group id {group!r} is not one the rule asks for")
        spark = bool(live.param(action.rule_ids, "require_spark"))
        built = outbound_action(action.instance, target, name, group, spark, action.rule_ids)
        return replace(built, remediator=self.name)


class PrivateEndpointGroups(PrivateEndpoints):
    """Private endpoints (with DNS zone groups) for the group ids a rule names."""

    name = "private-endpoint-groups"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        outside_boundary(findings, ctx, out)
        for f, inst, target, row, rtype in ctx.owned_targets(findings):
            blocked = self._blocked(row, rtype, inst)
            if blocked:
                out.manual.append(manual_for(f, inst, blocked))
                continue
            existing = ctx.inventory.endpoints_by_target.get(ids.norm(target), [])
            for group in _wanted(ctx.param(f.rule_id, "groups")):
                zones = ctx.private_link.zones(rtype, row.get("kind"), group, ctx.cloud)
                if not zones:
                    out.manual.append(manual_for(f, inst, f"no DNS zone is known for {group}"))
                    continue
                approved = [
                    pe
                    for pe, c in existing
                    if _status(c) == "approved"
                    and group.lower() in _groups(c)
                    and ids.norm(
                        ids.vnet_of_subnet(str(value_at(pe, "properties.subnet.id") or ""))
                    )
                    == ids.norm(inst.solution_vnet)
                ]
                before = len(out.actions)
                if approved:
                    self._zone_group_for_existing(f, inst, ctx, approved[0], target, zones, out)
                else:
                    self._new_endpoint(f, inst, ctx, target, row, group, zones, out)
                out.actions[before:] = [
                    replace(a, remediator=self.name, params={**a.params, "group": group})
                    for a in out.actions[before:]
                ]
        return out

    def rebuild(self, action: Action, live: LiveView) -> Action:
        """Endpoint or zone group from the declared target and group, checked against the
        rule's ``groups`` parameter, the private link table and the live resources."""
        target = str(action.params.get("endpoint_target") or "")
        if not live.owns(action.instance, target):
            raise Tampered(f"{target or 'the endpoint target'} is not part of the workspace")
        row = live.get(target)
        if row is None:
            raise Tampered(f"private link target {target} does not exist")
        group = str(action.params.get("group") or "")
        if group.lower() not in [g.lower() for g in _wanted(live.param(action.rule_ids, "groups"))]:
            raise Tampered(f"group id {group!r} is not one the rule asks for")
        rtype = ids.parse(target).type.lower()
        zones_wanted = {
            z.lower() for z in default_table().zones(rtype, row.get("kind"), group, live.cloud)
        }
        if action.operation == "create-private-endpoint":
            built = rebuilt_endpoint(action, live, target, row, group)
            return replace(built, remediator=self.name, params={**built.params, "group": group})
        if action.operation != "create-dns-zone-group":
            raise Tampered(f"{self.name} does not do {action.operation}")
        pe_id = str(action.params.get("private_endpoint_id") or "")
        if ids.norm(action.target) != ids.norm(f"{pe_id}/privateDnsZoneGroups/default"):
            raise Tampered("a zone group action names its endpoint's default zone group")
        built = rebuilt_zone_group(action, live, target, pe_id, zones_wanted)
        return replace(built, remediator=self.name, params={**built.params, "group": group})


class IntegratedPublicNetworkAccess(PublicNetworkAccess):
    """``public-network-access`` for integrated storage; an account only a datastore names
    (no outbound rule, link or connection of the workspace names it) gets a manual step: it is
    outside the boundary remediation writes in."""

    name = "integrated-public-network-access"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = super().plan(findings, ctx)
        outside_boundary(findings, ctx, out)
        return out


def outside_boundary(findings: list[Finding], ctx: PlanContext, out: Proposal) -> None:
    """A manual step for each finding on a resource its instance does not own (storage only
    a datastore names): remediation writes only inside the instance's members."""
    for f in findings:
        inst = ctx.instance_of(f)
        if ids.norm(f.resource_id) not in inst.members():
            reason = (
                f"{ids.parse(f.resource_id).name} is named only by a datastore of the "
                "workspace; amlguard writes only to resources the workspace links or reaches "
                "through its outbound rules and connections"
            )
            out.manual.append(manual_for(f, inst, reason))
