"""One scan: source -> inventory -> instances -> engine -> findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from amlguard.errors import InputError
from amlguard.scanner import inventory as inv_types
from amlguard.scanner import parallel
from amlguard.scanner.approval import ROLE_DEFINITION
from amlguard.scanner.datastores import DATASTORE
from amlguard.scanner.dns import RESOLUTION_TYPES
from amlguard.scanner.engine import Engine, EngineOptions
from amlguard.scanner.instances import InstanceSettings, IntegrationSelector, build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.linked import PRIVATE_LINK_SCOPE, SCOPED_RESOURCE
from amlguard.scanner.model import ScanResult, Severity, SourceInfo
from amlguard.scanner.outbound_children import folded_inventory
from amlguard.scanner.outbound_sources import ALL_COMPUTES, BATCH_ENDPOINT
from amlguard.scanner.rules import Rule, RulePack
from amlguard.scanner.sources.interface import Needs, Source

STORAGE = "microsoft.storage/storageaccounts"
KEY_VAULT = "microsoft.keyvault/vaults"
REGISTRY = "microsoft.containerregistry/registries"
APP_INSIGHTS = "microsoft.insights/components"
COGNITIVE = "microsoft.cognitiveservices/accounts"

# What each selector and related source reads, so a live source fetches only that.
_SELECTOR_TYPES: dict[str, tuple[str, ...]] = {
    "workspace": (inv_types.WORKSPACE,),
    "associated": (STORAGE, KEY_VAULT, REGISTRY, APP_INSIGHTS),
    "integrated": (COGNITIVE,),
    "suggested": (COGNITIVE,),
    "associatedandintegrated": (STORAGE, KEY_VAULT, REGISTRY, APP_INSIGHTS, COGNITIVE),
    "solutionvnet": (inv_types.PRIVATE_ENDPOINT,),
    "instancednszones": (
        inv_types.DNS_ZONE,
        inv_types.PRIVATE_ENDPOINT,
        inv_types.DNS_ZONE_GROUP,
    ),
    "computes": ("microsoft.machinelearningservices/workspaces/computes",),
    # issue 13: every workspace's computes; storage named by datastores and connections
    "workspacecomputes": (
        "microsoft.machinelearningservices/workspaces/computes",
        ALL_COMPUTES,
    ),
    "integratedanddatastores": (STORAGE, COGNITIVE, DATASTORE),
}
_RELATED_TYPES: dict[str, tuple[str, ...]] = {
    "privateendpoints": (inv_types.PRIVATE_ENDPOINT, inv_types.DNS_ZONE_GROUP),
    # redteam8 item 8: where the endpoints sit, and what the solution VNet reaches (peerings,
    # Virtual WAN hubs), read as DNS resolution reads them
    "reachableprivateendpoints": (
        inv_types.PRIVATE_ENDPOINT,
        inv_types.DNS_ZONE_GROUP,
        *RESOLUTION_TYPES,
    ),
    "integratedresources": (COGNITIVE,),
    "instanceresources": (STORAGE, KEY_VAULT, REGISTRY, APP_INSIGHTS, COGNITIVE),
    "roleassignments": (inv_types.ROLE_ASSIGNMENT,),
    "vnetlinks": (inv_types.VNET_LINK,),
    "networkinterfaces": (inv_types.NIC,),
    # issue 12: what DNS resolution and the customer-VNet rules read
    "dnsresolution": (inv_types.VNET_LINK, *RESOLUTION_TYPES),
    "projecthub": (inv_types.WORKSPACE,),
    "approverassignments": (inv_types.ROLE_ASSIGNMENT, ROLE_DEFINITION),
    "batchendpoints": (BATCH_ENDPOINT,),
    "integrationgroups": (DATASTORE,),
    # issue 13 (part B): an AML registry's storage and ACR, App Insights' private link scopes
    "linkedresources": (STORAGE, REGISTRY, inv_types.PRIVATE_ENDPOINT, inv_types.DNS_ZONE_GROUP),
    "privatelinkscopes": (SCOPED_RESOURCE, PRIVATE_LINK_SCOPE),
}


def _related_names(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        if isinstance(node.get("related"), str):
            yield node["related"].lower()
        for value in node.values():
            yield from _related_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _related_names(value)


def needs_of(
    rules: Iterable[Rule], parameters: Mapping[str, Mapping[str, Any]] | None = None
) -> Needs:
    """The resource types (and approver roles) the given rules read; the workspace always."""
    types: set[str] = {inv_types.WORKSPACE, inv_types.PRIVATE_ENDPOINT}
    roles: set[str] = set()
    for rule in rules:
        types.update(_SELECTOR_TYPES.get(rule.target["select"].lower(), ()))
        # the types a target names (an integrated search service or AML registry)
        types.update(str(t).lower() for t in rule.target.get("types") or ())
        for name in _related_names(rule.raw):
            types.update(_RELATED_TYPES.get(name, ()))
            if name == "roleassignments":
                values = {**rule.defaults(), **dict((parameters or {}).get(rule.id, {}))}
                if values.get("role_definition_id"):
                    roles.add(str(values["role_definition_id"]).rsplit("/", 1)[-1].lower())
    return Needs(types=tuple(sorted(types)), role_definition_ids=tuple(sorted(roles)))


def select_rules(
    pack: RulePack, rule_ids: Iterable[str] | None = None, min_severity: Severity | None = None
) -> list[Rule]:
    """The rules a scan runs: ``--rule`` ids (unknown ones are an error) and ``--severity``.

    Without ``rule_ids`` (None) this is a default scan's selection: the pack's opt-in rules
    (``opt_in_tags``, e.g. ``hardening``) are left out. Given ids, or an empty list, every rule
    stays for the caller to narrow by tags (``ruleselect.narrow``, as the CLI does).
    """
    chosen = pack.rules
    if rule_ids is None:
        from amlguard.ruleselect import narrow, opt_in_tags

        chosen = narrow(chosen, (), opt_in_tags(pack))
    wanted = [r.upper() for r in rule_ids or ()]
    if wanted:
        unknown = [r for r in wanted if pack.get(r) is None]
        if unknown:
            raise InputError(
                f"unknown rule id(s): {', '.join(unknown)} (see 'amlguard policies list')"
            )
        chosen = [r for r in chosen if r.id in wanted]
    if min_severity is not None:
        chosen = [r for r in chosen if r.severity >= min_severity]
    return chosen


@dataclass(slots=True)
class ScanOptions:
    """Everything besides the source and the rules that shapes a scan."""

    cloud: str = "AzureCloud"
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    integration_selector: dict[str, Any] | None = None
    solution_subnet: str | None = None
    network_isolation: str | None = None


def instance_settings(pack: RulePack, options: ScanOptions) -> InstanceSettings:
    """Instance assembly settings: config/flags over the pack's defaults."""
    defaults = pack.settings.get("instance_parameters", {})
    selector = options.integration_selector or defaults.get("integration_selector", {}).get(
        "default"
    )
    subnet = options.solution_subnet or defaults.get("solution_subnet", {}).get("default")
    isolation = options.network_isolation or defaults.get("network_isolation", {}).get("default")
    return InstanceSettings(
        IntegrationSelector.from_mapping(selector),
        subnet,
        str(isolation or "managed"),
        isolation_fixed=options.network_isolation is not None,
    )


# What a process that ends with os._exit keeps referenced until then (see keep_until_exit).
_kept: list[Any] | None = None


def keep_until_exit() -> None:
    """Keep each scan's rows, inventory and engine alive until the process ends.

    Only for the process entry point, which ends with ``os._exit``: freeing them one by one
    when ``run_scan`` returns cost ~5 ms per 100 instances (~58 ms at 1,000) for nothing.
    In-process callers never call this, so their scans are freed as usual.
    """
    global _kept
    if _kept is None:
        _kept = []


def run_scan(
    source: Source,
    pack: RulePack,
    rules: list[Rule],
    options: ScanOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScanResult:
    """Collect from ``source``, then :func:`evaluate` what it returned."""
    options = options or ScanOptions()
    started = _now()
    collected = source.collect(needs_of(rules, options.parameters), progress)
    return evaluate(collected.rows, pack, rules, options, collected.info, started=started)


def _now() -> str:
    when = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return when.isoformat().replace("+00:00", "Z")


def _judge(engine: Engine, instances: list[Any], rules: list[Rule], ahead: bool) -> list[Any]:
    """``engine.run()`` on every usable core; with ``ahead``, this process's findings' JSON
    report lines written while the workers judge, and kept for the report."""
    if not ahead:
        return parallel.run(engine, instances)
    from amlguard.reports import json_lines, json_report

    facts = json_report.facts_of(rules)
    json_lines.forget()
    findings = parallel.run(engine, instances, ahead=lambda own: json_report.lines_text(own, facts))
    stats = parallel.last
    json_lines.keep(findings, stats.ahead_count, stats.ahead_text, facts)
    stats.ahead_text = ""  # kept once, by json_lines
    return findings


def evaluate(
    rows: Sequence[dict[str, Any]],
    pack: RulePack,
    rules: list[Rule],
    options: ScanOptions,
    info: SourceInfo,
    *,
    started: str | None = None,
    only_instances: Container[str] | None = None,
    json_ahead: bool = False,
) -> ScanResult:
    """The one evaluation: index ``rows``, assemble instances, run ``rules`` (no I/O).

    Every command that judges an estate comes through here: ``check``, ``baseline create``,
    ``check --fix`` (its plan and its verification) and the benchmarks. ``only_instances``
    (lower-cased workspace ids) limits the judged instances, as a re-check after a fix does.
    ``json_ahead``: a JSON report will be written, so this process writes the report lines of
    the findings it judged while a worker judges the rest (``amlguard.reports.json_lines``).
    """
    # outbound rules written as child resources belong to their workspace's rule map
    inventory = folded_inventory(Inventory(rows))
    instances = build_instances(inventory, instance_settings(pack, options))
    if only_instances is not None:
        instances = [i for i in instances if i.id.lower() in only_instances]
    judged = rules
    if info.kind.startswith("template"):
        # rules judge what a template would create by their iac: blocks (amlguard.iac.treatment)
        from amlguard.iac.treatment import for_templates

        judged = for_templates(rules, rows, info)
    engine = Engine(
        inventory,
        judged,
        EngineOptions(
            cloud=options.cloud,
            parameters=options.parameters,
            gaps=tuple(info.gaps),
        ),
    )
    findings = _judge(engine, instances, rules, json_ahead and not info.kind.startswith("template"))
    if info.kind.startswith("template") and (
        info.header.get("conditional")
        or info.header.get("declared_peerings")
        or info.header.get("firewall_addresses")
    ):
        # resources whose condition is unknown before deployment never decide a verdict, nor
        # do a declared peering's state or a firewall's address (iac.peeringworlds)
        from amlguard.iac.conditional import settle

        findings = settle(
            findings,
            rows,
            info,
            lambda kept, bare: (
                evaluate(kept, pack, rules, options, bare, only_instances=only_instances).findings
            ),
        )
    if _kept is not None:
        _kept.append((rows, inventory, engine))
    return ScanResult(
        findings=findings,
        source=info,
        pack_version=pack.version,
        pack_hash=pack.digest,
        scan_time=started or _now(),
        instances=instances,
        rules=rules,
        inventory=inventory,
    )
