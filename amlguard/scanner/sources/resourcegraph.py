"""The live source: Azure Resource Graph, plus ARM GETs for what Resource Graph does not index.

Three phases, each with as few requests as the data allows:

1. scope: the readable subscriptions (``resourcecontainers``), or the management groups given;
2. rows: ``resources`` queries (workspaces and private endpoints first, so the ARM GETs of
   phase 3 overlap the remaining pages) and, when a rule needs role assignments, one
   ``authorizationresources`` query per batch of subscriptions, run concurrently, then one
   ``id in~`` query per 200 resources the workspaces name (associated resources, outbound-rule
   destinations) that the first queries did not return, whatever their type or subscription;
3. private DNS zone groups of the scanned instances' private endpoints, by concurrent ARM GETs,
   then the zones they use that the scope did not hold, with their links (``references``).

It fails closed: whatever it could not read becomes a ``Gap`` (the engine turns the findings it
touches into ``error`` and the CLI exits 3); a partial result is never passed off as complete.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from amlguard import __version__
from amlguard.errors import ScanError
from amlguard.scanner import ids, inventory, vwan, vwanroutes
from amlguard.scanner.dns import RESOLVER, RULESET
from amlguard.scanner.instances import InstanceSettings
from amlguard.scanner.model import Gap, SourceInfo
from amlguard.scanner.sources import (
    armbyid,
    childrows,
    dnsbeyond,
    dnsrefs,
    kql,
    livescopes,
    references,
    registryrefs,
)
from amlguard.scanner.sources import narrowgaps as narrow_gaps
from amlguard.scanner.sources import reverse as reverse_refs
from amlguard.scanner.sources.armrows import instance_endpoints, read_zone_groups
from amlguard.scanner.sources.interface import Collected, Needs, Source
from amlguard.scanner.sources.live import (
    Background,
    CollectProgress,
    LiveOptions,
    LiveScope,
)
from amlguard.scanner.sources.livejobs import Jobs, gapped
from amlguard.scanner.sources.pacing import QuotaPacer
from amlguard.scanner.sources.query import AuthenticationFailed, QueryRunner, Scope, Stats
from amlguard.scanner.sources.scopes import missing_resource_groups

_log = logging.getLogger("amlguard.resourcegraph")

#: api-version of the Virtual WAN hub VNet connection list (network spec virtualWan.json)
VWAN_API = "2024-05-01"
#: the children of Virtual WAN hubs read by ARM lists (not in Resource Graph), in words
_HUB_CHILDREN = {
    vwan.HUB_CONNECTIONS_SEGMENT: "virtual hub VNet connections",
    vwanroutes.ROUTE_TABLES_SEGMENT: "virtual hub route tables",
}
#: child rows every scan reads: connections decide which resources an instance integrates
_ALWAYS_CHILDREN = (childrows.CONNECTION,)
_REGISTRY = registryrefs.AML_REGISTRY


class ResourceGraphSource(Source):
    """Reads an estate live through Resource Graph (see the module docstring)."""

    def __init__(
        self,
        factory: Any,
        scope: LiveScope | None = None,
        options: LiveOptions | None = None,
        *,
        instance_settings: InstanceSettings | None = None,
        reporter: CollectProgress | None = None,
    ) -> None:
        self.factory = factory
        self.scope = scope or LiveScope()
        self.options = options or LiveOptions()
        if self.options.batch_size < 1:
            raise ScanError("--batch-size must be at least 1")
        self.settings = instance_settings or InstanceSettings()
        self.reporter = reporter

    # ------------------------------------------------------------------ entry point

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        started = time.monotonic()
        when = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        self.stats = Stats()
        self.jobs = jobs = Jobs(self.stats, self.options.concurrency, self.reporter, progress)
        gaps: list[Gap] = []
        client = self.factory.resource_graph(retry_total=0)
        runner = QueryRunner(client, QuotaPacer(), self.stats, self.options.retry, jobs.page)
        zones = Background()
        try:
            batch = self.options.batch_size
            read = livescopes.read_scopes(runner, jobs, self.scope, batch, gaps)
            scopes = read.scopes
            if self.scope.resource_groups:
                gaps += missing_resource_groups(
                    runner, scopes, self.scope.resource_groups, jobs.readable
                )
                self.stats.add(queries=len(scopes))
            rows = self._rows(runner, scopes, needs, gaps, zones)
            rows += self._selector_wide(runner, scopes, needs, rows, gaps)
            reverse = self._reverse(runner, scopes, gaps)
            rows += reverse.projects(rows)  # a hub's projects in other resource groups
            # Connections name integrated resources: read them before what the rows name.
            rows += self._children(rows, needs, gaps)
            referenced = self._referenced(runner, rows, gaps)
            rows += referenced
            rows += reverse.network(rows, needs.types)  # endpoints, NICs a filter dropped
            if _REGISTRY in needs.types:  # an AML registry's regional storage and ACR (241)
                rows += self._registry_stores(rows, gaps)
            if inventory.ROLE_ASSIGNMENT in needs.types:
                rows += read.subscriptions
                rows += livescopes.outside_subscriptions(
                    runner, jobs, read, referenced, needs, batch, gaps
                )
            arg_seconds = time.monotonic() - started
            if zones.started:
                rows += zones.result(gaps)
                # Endpoints of what the child rows named (datastores, connections) come late.
                rows += self._zone_groups(rows, gaps, report=False, late=True)
            elif inventory.DNS_ZONE_GROUP in needs.types:
                rows += self._zone_groups(rows, gaps)
            if inventory.DNS_ZONE in needs.types:
                rows += self._outside_zones(runner, rows, gaps)
            if RESOLVER in needs.types:
                rows += self._outside_resolution(runner, rows, gaps)
        except AuthenticationFailed as exc:
            raise ScanError(
                f"Azure authentication failed: {exc}\n(sign in with 'az login', configure "
                "DefaultAzureCredential, or set AMLGUARD_ACCESS_TOKEN)"
            ) from None
        finally:
            zones.stop()
            client.close()
        gaps = list(dict.fromkeys(gaps))
        stats = {
            **self.stats.as_dict(),
            "resource_graph_s": round(arg_seconds, 3),
            "duration_s": round(time.monotonic() - started, 3),
        }
        info = SourceInfo(
            kind="resource-graph",
            description=f"Azure Resource Graph at {self.factory.settings.endpoint}: "
            + self.scope.describe(),
            gaps=gaps,
            stats=stats,
            header=self._header(when, gaps, stats),
        )
        return Collected(rows, info)

    def _header(self, when: dt.datetime, gaps: list[Gap], stats: dict[str, Any]) -> dict[str, Any]:
        return {
            "tool": "amlguard",
            "tool_version": __version__,
            "time": when.isoformat().replace("+00:00", "Z"),
            "source": "resource-graph",
            "endpoint": self.factory.settings.endpoint,
            "scope": {
                "subscriptions": list(self.scope.subscriptions) or list(self.jobs.readable),
                "management_groups": list(self.scope.management_groups),
                "resource_groups": list(self.scope.resource_groups),
                "default": not (self.scope.subscriptions or self.scope.management_groups),
            },
            "complete": not gaps,
            "reverse_references": list(reverse_refs.FOLLOWED),
            "gaps": [{"reason": g.reason, "scope": g.scope} for g in gaps],
            "stats": stats,
        }

    # ------------------------------------------------------------------ phase 2: rows

    def _rows(
        self,
        runner: QueryRunner,
        scopes: list[Scope],
        needs: Needs,
        gaps: list[Gap],
        zones: Background,
    ) -> list[dict[str, Any]]:
        """Rows of every needed type, plus role assignments, per batch of subscriptions.

        When zone groups are needed, the types that decide which endpoints belong to an
        instance (workspaces, private endpoints, selector types) go first in their own query,
        so the ARM GETs for zone groups run while the rest pages under the quota: at most one
        request more per batch, and the GETs hide behind the quota's waits.
        """
        types = set(needs.types) - {
            inventory.DNS_ZONE_GROUP,
            inventory.ROLE_ASSIGNMENT,
            kql.ROLE_DEFINITION,
        }
        core = {inventory.WORKSPACE, inventory.PRIVATE_ENDPOINT}
        # the selector's types are in ``types`` when a rule reads integrated resources
        core |= {t.lower() for t in self.settings.selector.types} & types
        rest = types - core
        rg = self.scope.resource_groups
        roles: list[tuple[str, str]] = []
        if inventory.ROLE_ASSIGNMENT in needs.types:
            # A rule that reads any role's assignment (or judges roles by permission) makes
            # the read take every role, whatever others name (REPORT #2): never a narrowed one.
            roles.append(("role assignments", kql.role_assignments(needs.roles_to_read())))
        if kql.ROLE_DEFINITION in needs.types:
            roles.append(("role definitions", kql.role_definitions()))
        if inventory.DNS_ZONE_GROUP not in needs.types or not rest:
            queries = [("resources", kql.resources(sorted(types), rg)), *roles]
            return self.jobs.run_jobs(runner, scopes, queries, "resources", gaps)
        first = self.jobs.run_jobs(
            runner, scopes, [("instance resources", kql.resources(sorted(core), rg))],
            "workspaces and endpoints", gaps,
        )  # fmt: skip
        zones.start(lambda zone_gaps: self._zone_groups(first, zone_gaps, report=False))
        queries = [("resources", kql.resources(sorted(rest), rg)), *roles]
        return first + self.jobs.run_jobs(runner, scopes, queries, "resources", gaps)

    def _selector_wide(
        self,
        runner: QueryRunner,
        scopes: list[Scope],
        needs: Needs,
        rows: list[dict[str, Any]],
        gaps: list[Gap],
    ) -> list[dict[str, Any]]:
        """What a subscription-wide integration selector picks outside a ``--resource-group``
        filter (the filtered query read its types in those groups only), not yet read."""
        chosen, selector = needs.selector, self.settings.selector
        if not (self.scope.resource_groups and chosen and chosen.types) or selector.ids:
            return []
        if chosen.scope != "subscription":
            return []
        query = kql.resources(sorted(chosen.types))
        got = self.jobs.run_jobs(
            runner, scopes, [("integration selector", query)], "selector", gaps
        )
        have = {ids.norm(r.get("id")) for r in rows}
        return [r for r in got if ids.norm(r.get("id")) not in have]

    def _referenced(
        self, runner: QueryRunner, rows: list[dict[str, Any]], gaps: list[Gap]
    ) -> list[dict[str, Any]]:
        """Resources the workspaces name that the first queries did not return."""
        missing = references.named_resources(rows, self.settings.selector.ids, gapped(gaps))
        if not missing:
            return []
        jobs = references.by_id_jobs(missing)
        found = self.jobs.merge(jobs, self.jobs.run_all(runner, jobs, "referenced resources"), gaps)
        arm_only = armbyid.wanted(missing, found)
        if arm_only:  # types Resource Graph may not index (ML registries): ARM GETs by id
            found += self._arm_read(armbyid.read, arm_only, gaps)
        references.unconfirmed(
            missing, found, self.jobs.readable, gaps, "resources the workspaces name"
        )
        return found

    def _arm_read(
        self,
        reader: Callable[..., tuple[list[dict[str, Any]], list[Gap]]],
        items: Any,
        gaps: list[Gap],
        *extra: Any,
    ) -> list[dict[str, Any]]:
        """``reader(client, endpoint, items, stats, concurrency, *extra)`` on one ARM pipeline
        client: its rows, its gaps added to ``gaps``."""
        client = self.factory.arm_pipeline()
        try:
            got, found = reader(
                client, self.factory.settings.endpoint, items, self.stats,
                self.options.arm_concurrency, *extra,
            )  # fmt: skip
        finally:
            client.close()
        gaps.extend(found)
        return got

    def _registry_stores(self, rows: list[dict[str, Any]], gaps: list[Gap]) -> list[dict[str, Any]]:
        """The regional storage and ACR of the instances' registries the rows lack, by ARM GET."""
        missing = registryrefs.wanted(rows, self.settings)
        if not missing:
            return []
        return self._arm_read(registryrefs.read, missing, gaps)

    def _reverse(
        self, runner: QueryRunner, scopes: list[Scope], gaps: list[Gap]
    ) -> reverse_refs.ReverseReads:
        """What points at the scanned resources from outside a scope filter (``reverse``)."""

        rgs = self.scope.resource_groups
        return reverse_refs.ReverseReads(
            self.settings, rgs, scopes, self.jobs.readable, self.jobs.named(runner, gaps)
        )

    def _outside_zones(
        self, runner: QueryRunner, rows: list[dict[str, Any]], gaps: list[Gap]
    ) -> list[dict[str, Any]]:
        """The private DNS zones the zone groups use that the scope did not hold (a hub in a
        connectivity subscription, or another resource group), with all their links."""
        missing = references.used_zones(rows, gapped(gaps))
        if not missing:
            return []
        jobs = references.by_id_jobs(missing, "private DNS zones") + references.zone_link_jobs(
            missing
        )
        outcomes = self.jobs.run_all(runner, jobs, "private DNS zones")
        # a zone (or its links) unread touches the findings on that zone only
        found = self.jobs.merge(
            jobs, outcomes, gaps, lambda job: narrow_gaps.named_in(job, missing)
        )
        references.unconfirmed(
            missing, found, self.jobs.readable, gaps, "private DNS zones the endpoints use"
        )
        return found

    def _outside_resolution(
        self, runner: QueryRunner, rows: list[dict[str, Any]], gaps: list[Gap]
    ) -> list[dict[str, Any]]:
        """What DNS resolution needs outside the scan: solution and peered VNets, resolvers,
        inbound endpoints, firewalls and their policies, rulesets with their links and rules."""

        def children(
            parents: list[dict[str, Any]], segment: str, touched: dnsrefs.Touched
        ) -> list[dict[str, Any]]:
            if segment in _HUB_CHILDREN:  # Virtual WAN hubs' VNet connections, route tables
                jobs: list[childrows.Listing] = [
                    (p, segment, VWAN_API, _HUB_CHILDREN[segment]) for p in parents
                ]
            else:
                jobs = childrows.listings(parents, [f"{RULESET}/{segment.lower()}"])
            found: list[Gap] = []
            got = self._list_children(jobs, found)
            gaps.extend(narrow_gaps.renarrow(found, touched))
            return got

        run = self.jobs.named(runner, gaps)

        def report(reason: str, touched: list[str]) -> None:
            gaps.append(narrow_gaps.narrowed(reason, touched))

        everywhere = not (
            self.scope.subscriptions or self.scope.management_groups or self.scope.resource_groups
        )
        return dnsbeyond.collect(
            rows, self.settings, self.jobs.readable, run, children, report, everywhere
        )

    # ------------------------------------------------------------------ phase 3: ARM GETs

    def _children(
        self, rows: list[dict[str, Any]], needs: Needs, gaps: list[Gap]
    ) -> list[dict[str, Any]]:
        """Child rows ARG does not index (connections, computes, ruleset links and rules), for
        the scanned workspaces and rulesets only, by concurrent ARM lists."""
        jobs = childrows.listings(rows, [*needs.types, *_ALWAYS_CHILDREN])
        return self._list_children(jobs, gaps)

    def _list_children(
        self, jobs: list[childrows.Listing], gaps: list[Gap]
    ) -> list[dict[str, Any]]:
        """Concurrent ARM lists of child rows; each listing that fails is a gap naming it."""
        if not jobs:
            return []
        self.jobs.set_phase("workspace connections and DNS rulesets", len(jobs))
        return self._arm_read(childrows.read_children, jobs, gaps)

    def _zone_groups(
        self,
        rows: list[dict[str, Any]],
        gaps: list[Gap],
        *,
        report: bool = True,
        late: bool = False,
    ) -> list[dict[str, Any]]:
        """Private DNS zone groups of the instances' private endpoints (ARG has no table);
        ``late``: only of the endpoints no earlier call read."""
        endpoints = instance_endpoints(rows, self.settings)
        done: set[str] = self.__dict__.setdefault("_zone_groups_read", set())
        if late:
            endpoints = [pe for pe in endpoints if ids.norm(pe["id"]) not in done]
        done.update(ids.norm(pe["id"]) for pe in endpoints)
        if not endpoints:
            return []
        if report:
            self.jobs.set_phase("private DNS zone groups", len(endpoints))
        return self._arm_read(
            read_zone_groups, endpoints, gaps, self.jobs.finished_one if report else None
        )
