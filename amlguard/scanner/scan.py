"""One scan: source -> inventory -> instances -> engine -> findings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from amlguard.errors import InputError
from amlguard.scanner import ids, parallel
from amlguard.scanner import inventory as inv_types
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
from amlguard.scanner.sources.interface import Needs, SelectorRead, Source

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


#: Selectors and related sources that read the instance's integrated resources (what the
#: integration selector picks among them): the selector's types are read when one is used.
_INTEGRATED_SELECTORS = frozenset(
    {"integrated", "suggested", "associatedandintegrated", "integratedanddatastores"}
    | {"instancednszones"}
)
_INTEGRATED_RELATED = frozenset(("integratedresources", "instanceresources", "integrationgroups"))
_INSTANCE_INTEGRATED = re.compile(r"\binstance\(\s*\)\.(?:integrated|suggested)\b", re.IGNORECASE)
_PARAMETER_REF = re.compile(r"^\[\s*parameters\(\s*'((?:[^']|'')*)'\s*\)\s*\]$", re.IGNORECASE)


def _related_calls(node: Any) -> Iterable[dict[str, Any]]:
    """Every ``{related: NAME, ...}`` mapping in a rule, nested ones included."""
    if isinstance(node, dict):
        if isinstance(node.get("related"), str):
            yield node
        for value in node.values():
            yield from _related_calls(value)
    elif isinstance(node, list):
        for value in node:
            yield from _related_calls(value)


def _texts(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


def _one_role(call: dict[str, Any], values: Mapping[str, Any]) -> str | None:
    """The role GUID a ``roleAssignments`` call is filtered on, or None when it may read any
    role: no ``role``, an empty one, or one that cannot be known before the scan (an
    expression other than ``[parameters('name')]``, a parameter that is not a role id)."""
    args = call.get("with")
    role = args.get("role") if isinstance(args, dict) else None
    if isinstance(role, str) and (ref := _PARAMETER_REF.match(role.strip())):
        role = values.get(ref.group(1).replace("''", "'"))
    if not isinstance(role, str) or not role.strip() or role.lstrip().startswith("["):
        return None
    return ids.guid_tail(role.strip()) or None


def _reads_integrated(rule: Rule, calls: list[str]) -> bool:
    """Whether ``rule`` reads the instance's integrated resources (or the selector's picks)."""
    if str(rule.target.get("select") or "").lower() in _INTEGRATED_SELECTORS:
        return True
    if _INTEGRATED_RELATED.intersection(calls):
        return True
    return any(_INSTANCE_INTEGRATED.search(t) for t in _texts(rule.raw))


def needs_of(
    rules: Iterable[Rule],
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    settings: InstanceSettings | None = None,
) -> Needs:
    """The resource types (and roles) the given rules read; the workspace always.

    Role assignments: a call narrowed to one role adds it; any other read of them (no role
    filter, a role not known before the scan, roles judged by their permissions) needs every
    role, and then every role is read whatever the other rules name (REPORT #2). The
    integration selector of ``settings`` (the pack's default without it): its types are read
    when a rule reads integrated resources, and recorded (REPORT #4); its solution subnet too.
    """
    types: set[str] = {inv_types.WORKSPACE, inv_types.PRIVATE_ENDPOINT}
    roles: set[str] = set()
    every_role = integrated = False
    for rule in rules:
        types.update(_SELECTOR_TYPES.get(rule.target["select"].lower(), ()))
        # the types a target names (an integrated search service or AML registry)
        types.update(str(t).lower() for t in rule.target.get("types") or ())
        calls = list(_related_calls(rule.raw))
        names = [str(c["related"]).lower() for c in calls]
        values: dict[str, Any] | None = None
        for call, name in zip(calls, names, strict=True):
            read = _RELATED_TYPES.get(name, ())
            types.update(read)
            if inv_types.ROLE_ASSIGNMENT not in read:
                continue
            if name != "roleassignments":
                every_role = True  # roles judged by what they grant (approverAssignments)
                continue
            if values is None:
                values = {**rule.defaults(), **dict((parameters or {}).get(rule.id, {}))}
            role = _one_role(call, values)
            if role is None:
                every_role = True
            else:
                roles.add(role)
        integrated = integrated or _reads_integrated(rule, names)
    if inv_types.ROLE_ASSIGNMENT in types and not roles:
        every_role = True
    selector = None
    settings = settings or InstanceSettings()
    if integrated:
        chosen = settings.selector
        types.update(t.lower() for t in chosen.types)
        selector = SelectorRead(
            types=tuple(sorted({t.lower() for t in chosen.types})),
            ids=tuple(sorted({str(i).strip().lower() for i in chosen.ids})),
            # as integration reads it: anything but "subscription" is the resource group
            scope="subscription" if chosen.scope == "subscription" else "resource_group",
        )
    return Needs(
        types=tuple(sorted(types)),
        role_definition_ids=tuple(sorted(roles)),
        every_role=every_role,
        selector=selector,
        solution_subnet=(settings.solution_subnet or "").strip().lower() or None,
    )


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


def scan_needs(pack: RulePack, rules: Iterable[Rule], options: ScanOptions) -> Needs:
    """:func:`needs_of` under the scan's own settings (config and flags over the pack's)."""
    return needs_of(rules, options.parameters, instance_settings(pack, options))


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


def forget_kept() -> None:
    """Let go of the scans kept so far (one thrown away: its memory is needed now)."""
    if _kept is not None:
        _kept.clear()


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
    collected = source.collect(scan_needs(pack, rules, options), progress)
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
    json_lines.keep(findings, stats.ahead_count, stats.ahead_texts, facts)
    stats.ahead_texts = []  # kept once, by json_lines
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
