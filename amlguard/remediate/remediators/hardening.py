"""Remediators of the opt-in hardening rules (issue 13): one property write each.

``registry-admin-user``: an ARM PATCH of ``properties.adminUserEnabled: false`` on a container
registry of the instance. It breaks whatever still logs in with the admin credentials, so the
plan warns about it before it asks.

``appinsights-public-access``: ``publicNetworkAccessForIngestion`` and ``...ForQuery`` to
Disabled on the instance's Application Insights component, only once an Azure Monitor private
link scope (AMPLS) that scopes it has an approved azuremonitor private endpoint in the
instance's solution VNet with its DNS zone group, whose zones resolve there (the judgement
:func:`amlguard.remediate.dnsready.scope_problem` makes, as the other public-access cuts
consult dnsready; ``apply`` re-checks it, :mod:`amlguard.remediate.dnsrecheck`); otherwise
telemetry would have no path at all, and the finding becomes a manual step with the reason. The components API's PATCH only
updates tags, so the write is a GET followed by a PUT of the whole component with the two
properties changed. The plan holds only those two properties; the audit log holds the body
sent, which leaves out every read-only property (the component's connection string and
instrumentation key among them) and is redacted again by :mod:`amlguard.remediate.audit`.
"""

from __future__ import annotations

from typing import Any

from amlguard.remediate import dnsready
from amlguard.remediate.clients import RemediationClients, api_version_of
from amlguard.remediate.interface import PlanContext, Proposal, Remediator, manual_for
from amlguard.remediate.live import LiveView, NotReady, Tampered, value_at
from amlguard.remediate.plan import CUTS_PUBLIC_ACCESS, Action, ApiCall, Change
from amlguard.scanner import ids
from amlguard.scanner.linked import PRIVATE_LINK_SCOPE, scopes_by_linked_resource
from amlguard.scanner.model import Finding

ACR = "microsoft.containerregistry/registries"
COMPONENT = "microsoft.insights/components"
MONITOR_GROUP = "azuremonitor"
_INGESTION = "publicNetworkAccessForIngestion"
_QUERY = "publicNetworkAccessForQuery"
#: what a PUT of a component may carry: writable top-level fields (the rest is read-only)
_PUT_FIELDS = ("location", "kind", "tags", "properties", "etag")
#: read-only component properties a PUT must not send back
_READ_ONLY = frozenset(
    {
        "appid",
        "applicationid",
        "instrumentationkey",
        "connectionstring",
        "creationdate",
        "tenantid",
        "provisioningstate",
        "hockeyappid",
        "hockeyapptoken",
        "privatelinkscopedresources",
        "lamigrationdate",
    }
)

ADMIN_USER_WARNING = (
    "disabling the admin user of {name} breaks anything that still logs in with its username "
    "and password: check that the workspace identity holds AcrPull/AcrPush on the registry and "
    "that no deployment, pipeline or compute uses the admin credentials before applying"
)


def admin_user_action(
    instance_id: str, target: str, before: Any, rule_ids: tuple[str, ...], remediator: str
) -> Action:
    """The PATCH that disables a container registry's admin user (and sends nothing else)."""
    return Action(
        id="",
        remediator=remediator,
        operation="disable-registry-admin-user",
        instance=instance_id,
        target=target,
        summary=f"Disable the admin user of container registry {ids.parse(target).name}",
        call=ApiCall("PATCH", target, api_version_of(ACR), "ARM PATCH"),
        body={"properties": {"adminUserEnabled": False}},
        changes=(Change(target, "properties.adminUserEnabled", before, False),),
        rule_ids=rule_ids,
    )


class RegistryAdminUser(Remediator):
    """Sets a container registry's ``properties.adminUserEnabled`` to false with a PATCH."""

    name = "registry-admin-user"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f, inst, target, row, rtype in ctx.owned_targets(findings):
            if rtype != ACR:
                out.manual.append(manual_for(f, inst, f"no admin-user PATCH is known for {rtype}"))
                continue
            before = (row.get("properties") or {}).get("adminUserEnabled")
            out.actions.append(admin_user_action(inst.id, target, before, (f.rule_id,), self.name))
            out.warnings.append(ADMIN_USER_WARNING.format(name=ids.parse(target).name))
        return out

    def apply(self, action: Action, clients: RemediationClients) -> str:
        clients.patch(action.target, action.body, action.call.api_version)
        return "patched"

    def permissions(self, action: Action) -> list[tuple[str, str]]:
        return [(action.target, "Microsoft.ContainerRegistry/registries/write")]

    def rebuild(self, action: Action, live: LiveView) -> Action:
        _saved_write(self.name, action, live, "disable-registry-admin-user", ACR)
        before = value_at(live.get(action.target), "properties.adminUserEnabled")
        return admin_user_action(action.instance, action.target, before, action.rule_ids, self.name)


def _approved_monitor_endpoint(ctx: PlanContext, scope_id: str) -> bool:
    for _pe, conn in ctx.inventory.endpoints_by_target.get(ids.norm(scope_id), []):
        props = conn.get("properties") or {}
        state = props.get("privateLinkServiceConnectionState") or {}
        groups = {str(g).lower() for g in props.get("groupIds") or []}
        if str(state.get("status", "")).lower() == "approved" and MONITOR_GROUP in groups:
            return True
    return False


def ready_scopes(ctx: PlanContext, component_id: str) -> list[str]:
    """The AMPLS ids (in id order) that scope ``component_id`` and have an approved
    azuremonitor private endpoint, as the scan shows them."""
    out = set()
    for scoped in scopes_by_linked_resource(ctx.inventory).get(ids.norm(component_id), []):
        scope_id = ids.parent_of_child(str(scoped["id"]), "scopedResources")
        if scope_id and _approved_monitor_endpoint(ctx, scope_id):
            out.add(scope_id)
    return sorted(out, key=ids.norm)


def monitor_action(
    instance_id: str,
    target: str,
    before: tuple[Any, Any],
    scope_id: str,
    rule_ids: tuple[str, ...],
    remediator: str,
) -> Action:
    """The write that disables public ingestion and query on a component (GET, then PUT)."""
    return Action(
        id="",
        remediator=remediator,
        operation="disable-public-ingestion-query",
        instance=instance_id,
        target=target,
        summary=(
            f"Disable public ingestion and query on Application Insights "
            f"{ids.parse(target).name} (private link scope {ids.parse(scope_id).name})"
        ),
        call=ApiCall("PUT", target, api_version_of(COMPONENT), "ARM GET + PUT (PATCH sets tags)"),
        body={"properties": {_INGESTION: "Disabled", _QUERY: "Disabled"}},
        changes=(
            Change(target, f"properties.{_INGESTION}", before[0], "Disabled"),
            Change(target, f"properties.{_QUERY}", before[1], "Disabled"),
        ),
        rule_ids=rule_ids,
        flags=(CUTS_PUBLIC_ACCESS,),
        params={"private_link_scope": scope_id},
    )


def put_body(live: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The PUT body of a component: its writable fields as ARM returned them, ``changes``
    applied to its properties, read-only properties left out."""
    body = {k: live[k] for k in _PUT_FIELDS if k in live and live[k] is not None}
    props = {
        k: v for k, v in (live.get("properties") or {}).items() if str(k).lower() not in _READ_ONLY
    }
    body["properties"] = {**props, **changes}
    return body


class AppInsightsPublicAccess(Remediator):
    """Disables an Application Insights component's public ingestion and query once an AMPLS
    with an approved private endpoint scopes it."""

    name = "appinsights-public-access"

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f, inst, target, row, rtype in ctx.owned_targets(findings):
            if rtype != COMPONENT:
                out.manual.append(manual_for(f, inst, f"no private-ingestion write for {rtype}"))
                continue
            scopes = ready_scopes(ctx, target)
            if not scopes:
                out.manual.append(
                    manual_for(
                        f,
                        inst,
                        "no Azure Monitor private link scope with an approved private endpoint "
                        "scopes it: create one (or add the component to one) first, else its "
                        "telemetry would have no path at all",
                    )
                )
                continue
            problems = {s: dnsready.scope_problem(ctx, inst, s, MONITOR_GROUP) for s in scopes}
            scopes = [s for s in scopes if not problems[s]]
            if not scopes:
                why = dnsready.scope_waiting(target, "; ".join(problems.values()))
                out.manual.append(manual_for(f, inst, why))
                out.warnings.append(why)
                continue
            props = row.get("properties") or {}
            before = (props.get(_INGESTION), props.get(_QUERY))
            out.actions.append(
                monitor_action(inst.id, target, before, scopes[0], (f.rule_id,), self.name)
            )
        return out

    def apply(self, action: Action, clients: RemediationClients) -> str:
        scope = str(action.params.get("private_link_scope") or "")
        why = _scope_not_ready(clients, scope, action.target)
        if why:
            raise NotReady(f"not disabling public ingestion and query: {why}")
        live = clients.get(action.target, action.call.api_version)
        if live is None:
            raise NotReady(f"{ids.parse(action.target).name} does not exist")
        clients.put(
            action.target, put_body(live, action.body["properties"]), action.call.api_version
        )
        return "updated"

    def permissions(self, action: Action) -> list[tuple[str, str]]:
        return [(action.target, "Microsoft.Insights/components/write")]

    def rebuild(self, action: Action, live: LiveView) -> Action:
        _saved_write(self.name, action, live, "disable-public-ingestion-query", COMPONENT)
        scope = str(action.params.get("private_link_scope") or "")
        if ids.parse(scope).type.lower() != PRIVATE_LINK_SCOPE:
            raise Tampered(f"{scope or '(none)'} is not an Azure Monitor private link scope")
        row = live.get(action.target)
        before = (
            value_at(row, f"properties.{_INGESTION}"),
            value_at(row, f"properties.{_QUERY}"),
        )
        return monitor_action(
            action.instance, action.target, before, scope, action.rule_ids, self.name
        )


def _scope_not_ready(clients: RemediationClients, scope_id: str, component_id: str) -> str:
    """Why the AMPLS cannot carry the component's telemetry now ("" when it can): it must
    exist, scope the component and have an approved private endpoint connection."""
    version = api_version_of(PRIVATE_LINK_SCOPE)
    scope = clients.get(scope_id, version) if scope_id else None
    if scope is None:
        return f"private link scope {ids.short_name(scope_id or '(none)')} does not exist"
    listed = clients.get(f"{scope_id}/scopedResources", version) or {}
    linked = {
        ids.norm(value_at(item, "properties.linkedResourceId"))
        for item in listed.get("value") or []
        if isinstance(item, dict)
    }
    if ids.norm(component_id) not in linked:
        return f"private link scope {ids.short_name(scope_id)} does not scope the component"
    conns = value_at(scope, "properties.privateEndpointConnections") or []
    approved = [
        c
        for c in conns
        if isinstance(c, dict)
        and str(value_at(c, "properties.privateLinkServiceConnectionState.status")).lower()
        == "approved"
    ]
    if not approved:
        return f"private link scope {ids.short_name(scope_id)} has no approved private endpoint"
    return ""


def _saved_write(name: str, action: Action, live: LiveView, operation: str, rtype: str) -> None:
    """Tampered unless a saved action is ``operation`` on a resource of type ``rtype`` that
    belongs to its workspace."""
    if action.operation != operation:
        raise Tampered(f"{name} does not do {action.operation}")
    if ids.parse(action.target).type.lower() != rtype:
        raise Tampered(f"{name} does not write {ids.parse(action.target).type}")
    if not live.owns(action.instance, action.target):
        raise Tampered(f"{action.target} is not part of workspace {action.instance}")
