"""From a scan's failing findings to a plan: each finding goes to the remediator its rule names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from amlguard.errors import InputError
from amlguard.remediate import interface
from amlguard.remediate.interface import PlanContext, Proposal, manual_for
from amlguard.remediate.plan import Plan, assemble
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
        remediator = interface.get(name) if name else None
        inst = ctx.instance_of(f)
        if remediator is None:
            reason = "no automatic fix" if not name else f"remediator {name!r} is not available"
            total.manual.append(manual_for(f, inst, reason))
            continue
        by_remediator.setdefault(remediator.name, []).append(f)
    for name in sorted(by_remediator):
        remediator = interface.get(name)
        assert remediator is not None
        total.extend(remediator.plan(by_remediator[name], ctx))
    if errors:
        total.warnings.append(
            f"{len(errors)} finding(s) could not be judged (status error) and are not planned"
        )
    return assemble(
        total.actions, total.manual, total.warnings, result.scan_time, result.pack_version
    )
