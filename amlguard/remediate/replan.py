"""``apply`` writes only what a fresh plan holds (redteam10b items 6 and 7).

:mod:`amlguard.remediate.verify` rebuilds *how* each saved action writes. This module decides
*whether* amlguard would write it at all: the estate is read again (as a live check reads it,
with ``apply``'s config: its suppressions, rule parameters and rule selection, and the plan's
recorded ``--only``), judged by the one evaluation path, and planned by the one planner. Every
saved action must be an action of that fresh plan, with the same request; any other (its finding
passes now, is suppressed as an approved exception, is no longer judged, or is left to a human)
refuses the whole plan (``InputError``, exit 2, nothing written), naming each action and why.

The manual steps and warnings ``apply`` prints are the fresh plan's, never the file's: a file's
step the fresh plan does not derive is not shown (only counted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from amlguard.errors import InputError
from amlguard.remediate.plan import Action, ManualStep, Plan
from amlguard.remediate.planner import build_plan
from amlguard.remediate.verify import differences, neutral, request
from amlguard.scanner import ids
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Finding, ScanResult, Status


def instances_of(plan: Plan) -> set[str]:
    """The workspaces (normalised ids) the plan's actions and manual steps are for."""
    found = [a.instance for a in plan.actions] + [m.instance for m in plan.manual]
    return {ids.norm(i) for i in found if i}


def subscriptions_of(plan: Plan) -> tuple[str, ...]:
    """The subscriptions a fresh read covers: those of the actions' workspaces and targets
    (which the rebuild from ARM vouched for); of the manual steps' only when there is no
    action (the file's other ids choose no read)."""
    found = [r for a in plan.actions for r in (a.instance, a.target)]
    if not found:
        found = [m.instance for m in plan.manual]
    subs = {ids.parse(r).subscription_id.lower() for r in found if r}
    return tuple(sorted(s for s in subs if s))


def fresh_plan(scan: Any, saved: Plan, reader: Callable[..., Any] | None) -> Plan:
    """The plan ``check --fix`` would make now for the saved plan's workspaces, from ``scan``
    (an ``amlguard.app.Prepared`` of the fresh read) and the saved plan's ``--only``."""
    keep = instances_of(saved)
    result = replace(
        scan.result, findings=[f for f in scan.result.findings if ids.norm(f.instance) in keep]
    )
    return build_plan(
        result,
        Inventory(scan.rows),
        list(saved.selection.get("only", [])),
        dict(scan.options.parameters),
        scan.options.cloud,
        reader,
    )


def hold(rebuilt: Plan, saved: Plan, fresh: Plan, result: ScanResult) -> Plan:
    """``rebuilt``'s actions as the fresh plan holds them, with the fresh manual steps and
    warnings; ``InputError`` naming every action the fresh plan does not hold."""
    by_key = {a.key: a for a in fresh.actions}
    problems: list[str] = []
    kept: list[Action] = []
    for a in rebuilt.actions:
        f = by_key.get(a.key)
        if f is None:
            problems.append(f"{a.id} ({a.summary}): {why_not(a, result, fresh, saved)}")
            continue
        diff = differences(request(a), request(f))
        if diff:
            problems.append(
                f"{a.id} ({a.summary}): its {', '.join(diff)} differ from the fresh plan's "
                "(the estate changed since the plan was made)"
            )
            continue
        # What is sent is the fresh plan's action; the file's before-values stay the
        # preconditions the reviewer saw (a change since is refused as stale at write time).
        kept.append(replace(f, id=a.id, depends_on=a.depends_on, changes=a.changes))
    if problems:
        raise InputError(
            "a plan made now from Azure and the config would not hold these action(s), so "
            "nothing was written (plan again with check --fix --plan-out):\n  "
            + "\n  ".join(neutral(p, 600) for p in problems)
        )
    warnings = list(fresh.warnings)
    dropped = _not_derived(saved.manual, fresh.manual)
    if dropped:
        warnings.append(
            f"{dropped} manual step(s) in the plan file are not shown: a plan made now from "
            "Azure does not derive them (the file was edited, or the estate changed)"
        )
    return Plan(
        kept,
        list(fresh.manual),
        warnings,
        rebuilt.scan_time,
        rebuilt.pack_version,
        dict(saved.selection),
        saved.file_digest,
    )


def _not_derived(saved: list[ManualStep], fresh: list[ManualStep]) -> int:
    def norm(m: ManualStep) -> tuple[str, ...]:
        return (m.rule_id, ids.norm(m.resource_id), ids.norm(m.instance), m.reason, m.command)

    derived = {norm(m) for m in fresh}
    return sum(1 for m in saved if norm(m) not in derived)


def why_not(a: Action, result: ScanResult, fresh: Plan, saved: Plan) -> str:
    """Why a fresh plan does not hold ``a``, from the fresh findings of its rules."""
    selected = {r.id.upper() for r in result.rules}
    only = {o.upper() for o in saved.selection.get("only", [])}
    touched = {ids.norm(a.target), *(ids.norm(c.resource_id) for c in a.changes)}
    inst = ids.norm(a.instance)
    reasons = []
    for rule in a.rule_ids or ("(none)",):
        rule = rule.upper()
        if rule not in selected:
            reasons.append(f"{rule} is not selected (by the plan and the config)")
            continue
        if only and rule not in only:
            reasons.append(f"{rule} is not among the plan's --only rules")
            continue
        of_rule = [f for f in result.findings if f.rule_id == rule and ids.norm(f.instance) == inst]
        on_target = [f for f in of_rule if ids.norm(f.resource_id) in touched] or of_rule
        reasons.append(_finding_reason(rule, on_target, fresh, inst))
    return "; ".join(reasons)


_ORDER = (Status.SUPPRESSED, Status.FAIL, Status.KNOWN, Status.ERROR, Status.SKIPPED, Status.PASS)


def _finding_reason(rule: str, findings: list[Finding], fresh: Plan, inst: str) -> str:
    if not findings:
        return f"{rule} has no finding on workspace {ids.short_name(inst)} now"
    f = min(findings, key=lambda x: _ORDER.index(x.status))
    name = ids.short_name(f.resource_id)
    if f.status is Status.SUPPRESSED:
        s = f.suppression or {}
        where = f" ({s['source']})" if s.get("source") else ""
        by = f", approved by {s['approved_by']}" if s.get("approved_by") else ""
        until = f" until {s['expires']}" if s.get("expires") else ""
        return (
            f"{rule} on {name} is suppressed{where}: {s.get('reason') or 'no reason given'}"
            f"{by}{until}"
        )
    if f.status is Status.FAIL:
        step = next(
            (
                m
                for m in fresh.manual
                if m.rule_id == rule
                and ids.norm(m.resource_id) == ids.norm(f.resource_id)
                and ids.norm(m.instance) == inst
            ),
            None,
        )
        if step is not None:
            return f"{rule} on {name} is left to a human now: {step.reason}"
        return f"{rule} on {name} fails, but a fresh plan does not fix it with this write"
    if f.status is Status.PASS:
        return f"{rule} passes on {name} now"
    if f.status is Status.ERROR:
        return f"{rule} on {name} could not be judged now (a read failed: {f.message})"
    return f"{rule} on {name} is {f.status.value} now"


def check_expected(plan_digest: str, expected: str) -> None:
    """``InputError`` unless ``expected`` (``sha256:<hex>`` or the bare hex, any case) is the
    plan's digest: ``apply --expect-digest`` binds the run to the plan a reviewer approved."""
    given = expected.strip().lower()
    bare = given.removeprefix("sha256:")
    if len(bare) != 64 or any(c not in "0123456789abcdef" for c in bare):
        raise InputError(
            "--expect-digest: expected sha256:<64 hex digits> (the digest check --fix "
            "--plan-out and apply print)"
        )
    if "sha256:" + bare != plan_digest.lower():
        raise InputError(
            f"--expect-digest: the plan's digest is {plan_digest}, not sha256:{bare}: this is "
            "not the plan that was reviewed, so nothing was read or written"
        )
