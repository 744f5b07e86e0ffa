"""From a scan's failing findings to a plan: each finding goes to the remediator its rule names.

The drafts are then merged (one write per key), ordered, numbered and linked (``assemble``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from amlguard.errors import InputError
from amlguard.remediate import catalog, safety
from amlguard.remediate.interface import PlanContext, Proposal, manual_for
from amlguard.remediate.plan import Action, ManualStep, Plan
from amlguard.scanner import ids
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import ScanResult, Status


def build_plan(
    result: ScanResult,
    inventory: Inventory,
    only: Iterable[str] = (),
    parameters: dict[str, dict[str, Any]] | None = None,
    cloud: str = "AzureCloud",
    reader: Callable[[str], dict[str, Any] | None] | None = None,
) -> Plan:
    """The plan for every failing finding (of the ``only`` rules, when given). Deterministic."""
    rules = {r.id: r for r in result.rules}
    wanted = {r.upper() for r in only}
    unknown = sorted(wanted - set(rules))
    if unknown:
        raise InputError(f"--only: unknown or unselected rule id(s): {', '.join(unknown)}")
    ctx = PlanContext(
        inventory=inventory,
        instances={ids.norm(i.id): i for i in result.instances},
        rules=rules,
        parameters=parameters or {},
        cloud=cloud,
        reader=reader,
    )
    failing = [
        f
        for f in result.findings
        if f.status is Status.FAIL and (not wanted or f.rule_id in wanted)
    ]
    errors = [
        f
        for f in result.findings
        if f.status is Status.ERROR and (not wanted or f.rule_id in wanted)
    ]
    by_remediator: dict[str, list[Any]] = {}
    total = Proposal()
    for f in failing:
        rule = rules.get(f.rule_id)
        name = rule.remediation.remediator if rule else None
        remediator = catalog.get(name) if name else None
        inst = ctx.instance_of(f)
        if remediator is None:
            reason = "no automatic fix" if not name else f"remediator {name!r} is not available"
            total.manual.append(manual_for(f, inst, reason))
            continue
        refused = safety.refusal(remediator, inst)
        if refused:
            total.manual.append(manual_for(f, inst, refused))
            continue
        by_remediator.setdefault(remediator.name, []).append(f)
    for name in sorted(by_remediator):
        remediator = catalog.get(name)
        assert remediator is not None
        total.extend(remediator.plan(by_remediator[name], ctx))
    total.actions, refusals = safety.without_project_writes(total.actions, inventory)
    total.warnings += refusals
    if errors:
        total.warnings.append(
            f"{len(errors)} finding(s) could not be judged (status error) and are not planned"
        )
    return assemble(
        total.actions, total.manual, total.warnings, result.scan_time, result.pack_version
    )


# ---------------------------------------------------------------- assembling a plan


def _merge(drafts: Iterable[Action]) -> list[Action]:
    """One action per key: two findings asking for the same write share it (no redundant write)."""
    merged: dict[str, Action] = {}
    for d in drafts:
        prev = merged.get(d.key)
        if prev is None:
            merged[d.key] = d
            continue
        changes = list(prev.changes) + [
            c
            for c in d.changes
            if (c.resource_id.lower(), c.path)
            not in {(p.resource_id.lower(), p.path) for p in prev.changes}
        ]
        merged[d.key] = replace(
            prev,
            changes=tuple(changes),
            rule_ids=tuple(sorted(set(prev.rule_ids) | set(d.rule_ids))),
            flags=tuple(sorted(set(prev.flags) | set(d.flags))),
            body=_deep_union(prev.body, d.body),
            params={**d.params, **prev.params},
        )
    return list(merged.values())


def _deep_union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_union(out[k], v)
        else:
            out.setdefault(k, v)
    return out


def _order_key(a: Action) -> tuple[str, int, str, str]:
    return (
        ids.norm(a.instance),
        a.phase,
        a.operation,
        ids.norm(a.target) + "|" + str(a.params.get("key", "")),
    )


def dependencies(a: Action, same_instance: list[Action]) -> list[Action]:
    """The actions ``a`` needs to have succeeded (blueprint.md section 5)."""
    target = ids.norm(a.target)
    if a.operation == "create-dns-zone-group":
        pe = ids.norm(a.params.get("private_endpoint_id"))
        return [
            o
            for o in same_instance
            if o.operation == "create-private-endpoint"
            and ids.norm(o.params.get("private_endpoint_id")) == pe
        ]
    if a.operation == "disable-public-network-access":
        return [
            o
            for o in same_instance
            if o.operation in ("create-private-endpoint", "create-dns-zone-group")
            and ids.norm(o.params.get("endpoint_target")) == target
        ]
    if a.operation in ("create-outbound-rule", "update-workspace-settings"):
        deps = [o for o in same_instance if o.operation == "create-role-assignment"]
        if a.operation == "create-outbound-rule":
            deps += [o for o in same_instance if o.operation == "update-workspace-settings"]
        return deps
    if a.operation == "provision-managed-network":
        return [o for o in same_instance if o is not a]
    return []


def _access_ready(a: Action, same_instance: list[Action]) -> bool:
    """Public access may be cut once the target's private endpoint and its DNS zone group are
    in place, or a complete zone group for it is in the plan (its endpoint then is too)."""
    if a.params.get("ready"):
        return True
    return any(
        o.operation == "create-dns-zone-group"
        and o.params.get("complete")
        and ids.norm(o.params.get("endpoint_target")) == ids.norm(a.target)
        for o in same_instance
    )


def _drop_blocked(
    actions: list[Action], manual: list[ManualStep], warnings: list[str]
) -> list[Action]:
    """Drop writes whose prerequisite is neither in place nor planned; say why.

    Public access is only cut once the resource has a private endpoint and its DNS zone group
    (else users are locked out); provisioning needs managed isolation.
    """
    kept: list[Action] = []
    for a in actions:
        same = [o for o in actions if ids.norm(o.instance) == ids.norm(a.instance)]
        reason = ""
        if a.operation == "disable-public-network-access" and not _access_ready(a, same):
            name = ids.parse(a.target).name
            reason = (
                f"not disabling public access on {name}: it has no approved private endpoint "
                "with a DNS zone group, and none can be created now (see the manual steps); "
                "disabling it first would lock users out"
            )
        if (
            a.operation == "provision-managed-network"
            and a.params.get("needs_isolation")
            and not any(
                o.operation == "update-workspace-settings" and "isolationMode" in json.dumps(o.body)
                for o in same
            )
        ):
            reason = "the managed network cannot be provisioned while isolation is Disabled"
        if not reason:
            kept.append(a)
            continue
        warnings.append(reason)
        manual.append(
            ManualStep(
                str(a.params.get("blocked_rule") or (a.rule_ids[0] if a.rule_ids else "")),
                a.target,
                a.instance,
                reason,
                str(a.params.get("blocked_command") or ""),
            )
        )
    return kept


def with_spark(a: Action, deps: list[Action]) -> Action:
    """Provisioning includes Spark when an outbound rule it waits for enables Spark."""
    if a.operation == "provision-managed-network" and any(
        o.operation == "create-outbound-rule" and o.params.get("spark_enabled") for o in deps
    ):
        return replace(a, params={**a.params, "include_spark": True}, body={"includeSpark": True})
    return a


def assemble(
    drafts: Iterable[Action],
    manual: Iterable[ManualStep],
    warnings: Iterable[str],
    scan_time: str = "",
    pack_version: str = "",
) -> Plan:
    """Merge drafts, order them, number them and wire their dependencies."""
    manual = list(manual)
    warnings = list(warnings)
    actions = _drop_blocked(sorted(_merge(drafts), key=_order_key), manual, warnings)
    numbered = [replace(a, id=f"A{i:03d}") for i, a in enumerate(actions, 1)]
    by_instance: dict[str, list[Action]] = {}
    for a in numbered:
        by_instance.setdefault(ids.norm(a.instance), []).append(a)
    linked = []
    for a in numbered:
        deps = dependencies(a, by_instance[ids.norm(a.instance)])
        linked.append(replace(with_spark(a, deps), depends_on=tuple(sorted(d.id for d in deps))))
    steps = sorted(
        {
            (m.instance.lower(), m.rule_id, m.resource_id.lower(), m.reason): m for m in manual
        }.values(),
        key=lambda m: (m.instance.lower(), m.rule_id, m.resource_id.lower(), m.reason),
    )
    return Plan(linked, steps, sorted(set(warnings)), scan_time, pack_version)
