"""Reverse references: what names a scanned resource without being named by it.

Forward references (what a workspace names) are fetched by id (``references``). A scope filter
(``--resource-group``) also drops what points *at* a scanned resource from another resource
group, which no forward reference finds:

1. the projects of a scanned hub: a project names its hub (``properties.hubResourceId``), the
   hub names none of them; with them, what the integration selector picks in their resource
   groups (or, for a subscription-wide selector, in the workspaces' subscriptions);
2. the private endpoints of an instance's members (an endpoint names its target in
   ``privateLinkServiceConnections``; AMLG-109/2xx judge them, their zone groups AMLG-301);
3. the network interfaces in a solution VNet (a NIC names its subnet; AMLG-302 judges them),
   and, when a rule reads them, their public IPs;
4. the Azure Monitor private link scopes that scope a member (a scoped-resource row names the
   Application Insights component it links), with their private endpoints.

Each is one Resource Graph query per batch of subscriptions and chunk of ids, sent only when a
scope filter could have dropped something (a resource-group filter, or a solution VNet in a
subscription outside the scan). The query is loose (``contains``, ``startswith``: KQL ignores
case) and the answer is filtered exactly here, ids compared case-insensitively. A query that
fails is a gap naming what it looked for (exit 3), never a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from amlguard.scanner import ids, inventory
from amlguard.scanner.instances import InstanceSettings, build_instances, hub_id_of, is_project
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import get_key
from amlguard.scanner.sources import kql, references
from amlguard.scanner.sources.dnsrefs import Job, RunJobs, chunks, id_at, row_props
from amlguard.scanner.sources.followed import FOLLOWED
from amlguard.scanner.sources.narrowgaps import named_in
from amlguard.scanner.sources.query import Scope

Row = dict[str, Any]
PUBLIC_IP = "microsoft.network/publicipaddresses"
_NAMES = 3  # names quoted in a job's name (its error message)


def _named(what: str, resource_ids: list[str]) -> str:
    names = [ids.short_name(r) for r in resource_ids[:_NAMES]]
    more = f" and {len(resource_ids) - _NAMES} more" if len(resource_ids) > _NAMES else ""
    return f"{what} {', '.join(names)}{more}"


def _project(query: str) -> str:
    return query + " | project " + ", ".join(kql.RESOURCE_COLUMNS)


def _by_subscription(resource_ids: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rid in resource_ids:
        out.setdefault(ids.parse(rid).subscription_id.lower(), []).append(rid)
    return out


def _typed(rows: Iterable[Row], rtype: str) -> list[Row]:
    return [r for r in rows if str(r.get("type") or "").lower() == rtype]


# ---------------------------------------------------------------- 1. projects of scanned hubs


def hubs(rows: Iterable[Row]) -> list[str]:
    """The ids of the scanned workspaces a project may name as its hub (every non-project)."""
    found = {
        ids.norm(r.get("id")): str(r["id"])
        for r in _typed(rows, inventory.WORKSPACE)
        if not is_project(r) and ids.norm(r.get("id"))
    }
    return sorted(found.values(), key=ids.norm)


def projects_query(hub_ids: list[str]) -> str:
    """Project workspaces whose ``hubResourceId`` starts with one of these hub ids (the answer
    is filtered exactly: a trailing slash or another case still matches)."""
    under = " or ".join(
        f"tolower(tostring(properties.hubResourceId)) startswith {kql.quote(ids.norm(h))}"
        for h in hub_ids
    )
    return _project(
        f"resources | where type =~ {kql.quote(inventory.WORKSPACE)} | where kind =~ 'Project'"
        f" | where {under}"
    )


def project_jobs(hub_ids: list[str], scopes: list[Scope]) -> list[Job]:
    """One query per chunk of hubs and batch of the scan's subscriptions."""
    return [
        (_named("projects of hub(s)", chunk), projects_query(chunk), scope)
        for chunk in chunks(hub_ids)
        for scope in scopes
    ]


def projects_of(found: Iterable[Row], hub_ids: list[str], rows: list[Row]) -> list[Row]:
    """The rows of ``found`` that are projects of these hubs and not among ``rows`` yet."""
    wanted = {ids.norm(h) for h in hub_ids}
    have = {ids.norm(r.get("id")) for r in rows}
    out: dict[str, Row] = {}
    for row in _typed(found, inventory.WORKSPACE):
        key = ids.norm(row.get("id"))
        if is_project(row) and ids.norm(hub_id_of(row)) in wanted and key and key not in have:
            out.setdefault(key, row)
    return [out[k] for k in sorted(out)]


def selector_jobs(
    workspaces: list[Row], settings: InstanceSettings, resource_groups: tuple[str, ...]
) -> list[Job]:
    """What the integration selector picks where the filter did not look: the resource groups
    of ``workspaces`` outside ``resource_groups`` (or, for a subscription-wide selector, their
    whole subscriptions), per subscription."""
    selector = settings.selector
    if selector.ids or not selector.types or not workspaces:
        return []
    scanned = {g.lower() for g in resource_groups}
    jobs: list[Job] = []
    by_sub: dict[str, tuple[str, set[str]]] = {}
    for ws in workspaces:
        parsed = ids.parse(str(ws["id"]))
        sub, groups = by_sub.setdefault(
            parsed.subscription_id.lower(), (parsed.subscription_id, set())
        )
        groups.add(parsed.resource_group)
    for sub, groups in sorted(by_sub.values()):
        if selector.scope == "subscription":
            query = kql.resources(sorted(selector.types))
        else:
            outside = sorted(g for g in groups if g.lower() not in scanned)
            if not outside:
                continue
            query = kql.resources(sorted(selector.types), outside)
        jobs.append(("integration selector around projects", query, Scope((sub,))))
    return jobs


# ---------------------------------------------------------------- 2. and 3. the network

SCOPED_RESOURCE = "microsoft.insights/privatelinkscopes/scopedresources"
PRIVATE_LINK_SCOPE = "microsoft.insights/privatelinkscopes"


def scoped_query(targets: list[str]) -> str:
    """Azure Monitor private link scopes' scoped-resource rows that link these resources."""
    wanted = "(" + ", ".join(kql.quote(ids.norm(t)) for t in targets) + ")"
    return _project(
        f"resources | where type =~ {kql.quote(SCOPED_RESOURCE)}"
        f" | where tolower(tostring(properties.linkedResourceId)) in~ {wanted}"
    )


def members(rows: list[Row], settings: InstanceSettings) -> list[str]:
    """Every member id of every instance the rows make (once each, stable order)."""
    found: dict[str, str] = {}
    for inst in build_instances(Inventory(rows), settings):
        for member in inst.members():
            found.setdefault(ids.norm(member), member)
    return sorted(found.values(), key=ids.norm)


def endpoint_jobs(targets: list[str], scopes: list[Scope]) -> list[Job]:
    """Private endpoints (automatic or manual connections) to these targets, per batch."""
    jobs: list[Job] = []
    for chunk in chunks(targets):
        under = " or ".join(
            f"tostring(properties.{field}) contains {kql.quote(ids.norm(t))}"
            for t in chunk
            for field in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
        )
        text = _project(
            f"resources | where type =~ {kql.quote(inventory.PRIVATE_ENDPOINT)} | where {under}"
        )
        jobs += [(_named("private endpoints of", chunk), text, scope) for scope in scopes]
    return jobs


def endpoint_targets(pe: Row) -> set[str]:
    """The lower-cased ids a private endpoint connects to."""
    out = set()
    for field in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
        conns = get_key(row_props(pe), field)
        for conn in conns if isinstance(conns, list) else []:
            target = id_at(row_props(conn), "privateLinkServiceId")
            if target:
                out.add(ids.norm(target))
    return out


def solution_vnets(rows: list[Row], settings: InstanceSettings) -> list[str]:
    """The solution VNet ids of the instances these rows make (once each, stable order)."""
    found: dict[str, str] = {}
    for inst in build_instances(Inventory(rows), settings):
        if inst.solution_vnet:
            found.setdefault(ids.norm(inst.solution_vnet), inst.solution_vnet)
    return sorted(found.values(), key=ids.norm)


def nic_jobs(vnet_ids: list[str]) -> list[Job]:
    """Network interfaces with an IP configuration in one of these VNets, each query sent to
    the subscription that holds the VNets (a NIC lives in its VNet's subscription)."""
    jobs: list[Job] = []
    for sub_vnets in _by_subscription(vnet_ids).values():
        sub = ids.parse(sub_vnets[0]).subscription_id
        for chunk in chunks(sorted(sub_vnets, key=ids.norm)):
            under = " or ".join(
                f"tostring(properties.ipConfigurations) contains {kql.quote(ids.norm(v) + '/subnets/')}"
                for v in chunk
            )
            text = _project(f"resources | where type =~ {kql.quote(inventory.NIC)} | where {under}")
            jobs.append((_named("network interfaces in VNet(s)", chunk), text, Scope((sub,))))
    return jobs


def nic_vnets(nic: Row) -> set[str]:
    """The lower-cased VNet ids a NIC's IP configurations sit in."""
    out = set()
    configs = get_key(row_props(nic), "ipConfigurations")
    for cfg in configs if isinstance(configs, list) else []:
        subnet = id_at(row_props(cfg), "subnet", "id")
        vnet = ids.norm(ids.vnet_of_subnet(subnet)) if subnet else ""
        if vnet:
            out.add(vnet)
    return out


def public_ips(nics: Iterable[Row]) -> list[str]:
    """The public IP ids these NICs' IP configurations name."""
    found: dict[str, str] = {}
    for nic in nics:
        configs = get_key(row_props(nic), "ipConfigurations")
        for cfg in configs if isinstance(configs, list) else []:
            pip = id_at(row_props(cfg), "publicIPAddress", "id")
            if pip:
                found.setdefault(ids.norm(pip), pip)
    return sorted(found.values(), key=ids.norm)


def _new(found: Iterable[Row], rows: list[Row], keep: Callable[[Row], bool]) -> list[Row]:
    have = {ids.norm(r.get("id")) for r in rows}
    out: dict[str, Row] = {}
    for row in found:
        key = ids.norm(row.get("id"))
        if key and key not in have and keep(row):
            out.setdefault(key, row)
    return [out[k] for k in sorted(out)]


@dataclass(frozen=True, slots=True)
class ReverseReads:
    """The reverse reads of one live scan (see the module docstring)."""

    settings: InstanceSettings
    resource_groups: tuple[str, ...]
    scopes: list[Scope]
    readable: tuple[str, ...]
    run: RunJobs

    def projects(self, rows: list[Row]) -> list[Row]:
        """The projects of the scanned hubs that the filter dropped, and what the selector
        picks around them; none without a resource-group filter (the scan read them all)."""
        if not self.resource_groups:
            return []
        hub_ids = hubs(rows)
        if not hub_ids:
            return []
        # a failed query touches the instances of the hubs it asked about, nothing else
        jobs = project_jobs(hub_ids, self.scopes)
        found = self.run(
            jobs, "projects of the scanned hubs", [], lambda job: named_in(job, hub_ids)
        )
        projects = projects_of(found, hub_ids, rows)
        if not projects:
            return []
        hub_rows = [r for r in _typed(rows, inventory.WORKSPACE) if not is_project(r)]
        jobs = selector_jobs([*hub_rows, *projects], self.settings, self.resource_groups)
        with_projects = sorted({hub_id_of(p) for p in projects}, key=ids.norm)
        picked = (
            self.run(jobs, "integration selector around projects", [], lambda _j: with_projects)
            if jobs
            else []
        )
        got = rows + projects
        return projects + _new(picked, got, lambda r: self.settings.selector.picks(r))

    def _private_link_scopes(self, rows: list[Row], targets: list[str]) -> list[Row]:
        """Azure Monitor private link scopes elsewhere that scope a member (App Insights): their
        scoped-resource rows (which name the member) and the scopes themselves, by id."""
        keys = {ids.norm(t) for t in targets}
        jobs = [
            (_named("private link scopes of", chunk), scoped_query(chunk), scope)
            for chunk in chunks(targets)
            for scope in self.scopes
        ]
        found = self.run(jobs, "Azure Monitor private link scopes", [])
        scoped = _new(
            found, rows, lambda r: ids.norm(id_at(row_props(r), "linkedResourceId")) in keys
        )
        have = {ids.norm(r.get("id")) for r in rows}
        parents = {
            ids.norm(p): p
            for p in (ids.parent_of_child(str(r["id"]), "scopedResources") for r in scoped)
            if p and ids.norm(p) not in have
        }
        wanted = sorted(parents.values(), key=ids.norm)
        if not wanted:
            return scoped
        return scoped + self.run(
            references.by_id_jobs(wanted, "private link scopes"), "private link scopes", wanted
        )

    def _subnet_outside(self, rows: list[Row], inside: set[str]) -> bool:
        """Whether any endpoint (or the configured solution subnet) sits in a subnet of a
        subscription outside the scan: only then can a solution VNet be there. A cheap pass
        over the rows, so an unfiltered scan never builds its instances twice for nothing."""
        subnets = [self.settings.solution_subnet or ""]
        subnets += [
            id_at(row_props(pe), "subnet", "id") for pe in _typed(rows, inventory.PRIVATE_ENDPOINT)
        ]
        return any(s and ids.parse(s).subscription_id.lower() not in inside for s in subnets)

    def network(self, rows: list[Row], types: Iterable[str]) -> list[Row]:
        """Private endpoints of the instances' members and NICs in their solution VNets that
        the filter (or the scan's subscriptions) left out."""
        wanted = {t.lower() for t in types}
        got: list[Row] = []
        targets = members(rows, self.settings) if self.resource_groups else []
        if targets and SCOPED_RESOURCE in wanted:
            got += self._private_link_scopes(rows, targets)
            targets += [str(r["id"]) for r in _typed(got, PRIVATE_LINK_SCOPE)]
        if targets and inventory.PRIVATE_ENDPOINT in wanted:
            keys = {ids.norm(t) for t in targets}
            jobs = endpoint_jobs(targets, self.scopes)
            found = self.run(jobs, "private endpoints in other resource groups", [])
            got += _new(found, rows + got, lambda pe: bool(endpoint_targets(pe) & keys))
        if inventory.PRIVATE_ENDPOINT in wanted:
            got += self._named_endpoints(rows + got, targets or members(rows, self.settings))
        if inventory.NIC not in wanted:
            return got
        everything = rows + got
        inside = {s.lower() for s in self.readable}
        if not self.resource_groups and not self._subnet_outside(everything, inside):
            return got  # every solution VNet is in a scanned subscription: its NICs were read
        vnets = [
            v
            for v in solution_vnets(everything, self.settings)
            if self.resource_groups or ids.parse(v).subscription_id.lower() not in inside
        ]
        if not vnets:
            return got
        keys = {ids.norm(v) for v in vnets}
        found = self.run(nic_jobs(vnets), "network interfaces in the solution VNets", [])
        nics = _new(found, everything, lambda nic: bool(nic_vnets(nic) & keys))
        got += nics
        if PUBLIC_IP in wanted:
            pips = public_ips(_typed(everything + nics, inventory.NIC))
            have = {ids.norm(r.get("id")) for r in everything + nics}
            pips = [p for p in pips if ids.norm(p) not in have]
            if pips:
                got += self.run(references.by_id_jobs(pips, "public IPs"), "public IPs", pips)
        return got

    def _named_endpoints(self, rows: list[Row], targets: list[str]) -> list[Row]:
        """The private endpoints the members' connections name in subscriptions outside the
        scan (redteam6 item 8: a workload subscription scanned alone, its endpoints and VNet in
        a network subscription). First the workspaces' inbound endpoints (always the
        customer's): one that cannot be read is a gap, its solution VNet decides the DNS and NIC
        rules. Then the other members' endpoints, only in the subscriptions those inbound
        endpoints live in (a managed network's endpoints live in Microsoft's subscriptions,
        which no caller can read)."""
        inside = {s.lower() for s in self.readable}
        by_id = {ids.norm(r.get("id")): r for r in rows}
        named: dict[str, list[str]] = {"inbound": [], "other": []}
        for target in targets:
            row = by_id.get(ids.norm(target))
            if row is None:
                continue
            kind = (
                "inbound" if str(row.get("type") or "").lower() == inventory.WORKSPACE else "other"
            )
            for pe in _connection_endpoints(row):
                key = ids.norm(pe)
                if key not in by_id and ids.parse(key).subscription_id.lower() not in inside:
                    named[kind].append(pe)
        inbound = sorted(set(named["inbound"]), key=ids.norm)
        if not inbound:
            return []
        network = {ids.parse(pe).subscription_id.lower() for pe in inbound}
        other = [pe for pe in named["other"] if ids.parse(pe).subscription_id.lower() in network]
        wanted = sorted({ids.norm(pe): pe for pe in inbound + other}.values(), key=ids.norm)
        jobs = references.by_id_jobs(wanted, "private endpoints")
        found = self.run(jobs, "private endpoints the connections name", inbound)
        return _new(found, rows, lambda pe: True)


def _connection_endpoints(row: Row) -> list[str]:
    """The endpoint ids a resource's private endpoint connections name (none when they cannot
    be read: the rules judging them say so)."""
    from amlguard.scanner.unknown import UnknownValue
    from amlguard.scanner.workspace_sources import connection_states

    try:
        states = connection_states(row)
    except UnknownValue:
        return []
    found = (id_at(conn, "properties", "privateEndpoint", "id") for conn, _ in states)
    return [pe for pe in found if pe]


__all__ = ["FOLLOWED", "ReverseReads", "endpoint_targets", "hubs", "nic_vnets", "projects_of"]
