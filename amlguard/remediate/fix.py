"""``check --fix`` and ``apply`` end to end: scan -> plan -> confirm -> preflight -> run -> verify."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlguard.errors import RemediationError
from amlguard.remediate.audit import AuditLog
from amlguard.remediate.clients import AUTHZ_API_VERSION, ArmError, RemediationClients
from amlguard.remediate.execute import (
    DONE,
    Outcome,
    Progress,
    holds,
    read_all,
    run_plan,
    stale_actions,
)
from amlguard.remediate.plan import Plan, plan_reads, selection_of
from amlguard.remediate.planner import build_plan
from amlguard.remediate.preflight import preflight
from amlguard.remediate.report import Report
from amlguard.scanner import ids
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import ScanResult, SourceInfo, Status
from amlguard.scanner.rules import Rule, RulePack
from amlguard.scanner.scan import ScanOptions, evaluate, run_scan
from amlguard.scanner.sources.interface import Collected, Needs, Source


class KeepingSource(Source):
    """Wraps a source and keeps the rows it collected (planning and verification need them)."""

    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self.rows: list[dict[str, Any]] = []

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        collected = self.inner.collect(needs, progress)
        self.rows = collected.rows
        return collected


@dataclass(slots=True)
class Prepared:
    """A scan and the plan made from it."""

    result: ScanResult
    rows: list[dict[str, Any]]
    plan: Plan


def prepare(
    source: Source,
    pack: RulePack,
    rules: list[Rule],
    options: ScanOptions,
    only: list[str],
    reader: Callable[[str], dict[str, Any] | None] | None = None,
) -> Prepared:
    """Scan and plan (no write call)."""
    keeping = KeepingSource(source)
    result = run_scan(keeping, pack, rules, options)
    plan = build_plan(
        result,
        Inventory(keeping.rows),
        only,
        options.parameters,
        options.cloud,
        reader,
    )
    return Prepared(result, keeping.rows, plan)


def execute(
    plan: Plan,
    clients: RemediationClients,
    *,
    concurrency: int = 8,
    audit_path: Path | None = None,
    progress: Progress | None = None,
    check_stale: bool = False,
) -> Report:
    """Preflight, (optionally) refuse stale actions, run, and verify the writes by read-back."""
    report = Report(plan)
    if plan.empty:
        return report
    missing = preflight(plan, clients, concurrency)
    if missing:
        raise RemediationError(
            "missing permissions, nothing was changed:\n  " + "\n  ".join(missing)
        )
    refused = stale_actions(plan, clients, concurrency) if check_stale else {}
    warm = getattr(clients, "warm", None)
    if callable(warm) and any(a.call.sdk.startswith("MLClient") for a in plan.actions):
        warm()
    report.outcomes = run_plan(
        plan,
        clients,
        concurrency=concurrency,
        audit=AuditLog(audit_path),
        progress=progress,
        refused=refused,
    )
    _read_back(report, clients, concurrency)
    return report


def _read_back(report: Report, clients: RemediationClients, concurrency: int) -> None:
    done = [a for a in report.plan.actions if report.outcomes[a.id].status == DONE]
    reads = read_all(clients, [rid for a in done for rid in a.rereads()], concurrency)
    report.reads = {k: v for k, v in reads.items() if not isinstance(v, ArmError)}
    for a in done:
        ok = True
        for c in a.changes:
            live = reads[ids.norm(c.resource_id)]
            if isinstance(live, ArmError):
                report.read_errors.append(f"{c.resource_id}: {live}")
                ok = False
            elif not holds(c, live, "after"):
                ok = False
        if not ok and report.outcomes[a.id].message == "already assigned":
            ok = _existing_assignment(report, clients, a)
        report.verified[a.id] = ok


def _existing_assignment(report: Report, clients: RemediationClients, action: Any) -> bool:
    """The role was already held under another name (409): find that assignment in ARM."""
    props = action.body["properties"]
    try:
        listed = clients.get(
            f"{action.target}/providers/Microsoft.Authorization/roleAssignments", AUTHZ_API_VERSION
        )
    except ArmError as exc:
        report.read_errors.append(f"{action.target}: {exc}")
        return False
    found = False
    for item in (listed or {}).get("value") or []:
        ip = item.get("properties") or {}
        if str(ip.get("principalId", "")).lower() == str(
            props["principalId"]
        ).lower() and ids.guid_tail(ip.get("roleDefinitionId")) == ids.guid_tail(
            props["roleDefinitionId"]
        ):
            report.reads[ids.norm(item.get("id"))] = item
            found = True
    return found


def reevaluate(
    report: Report,
    prepared: Prepared,
    pack: RulePack,
    rules: list[Rule],
    options: ScanOptions,
) -> None:
    """Judge the touched instances again, through the one :func:`evaluate`, on the scan's rows
    overlaid with the ARM read-backs; sort the planned failures into fixed and remaining."""
    rows = {ids.norm(r.get("id")): r for r in prepared.rows}
    for key, body in report.reads.items():
        if isinstance(body, dict):
            rows[key] = body
        elif body is None:
            rows.pop(key, None)
    touched = {ids.norm(a.instance) for a in report.plan.actions}
    info = SourceInfo("arm-read-back", "the scan overlaid with ARM read-backs")
    again = evaluate(list(rows.values()), pack, rules, options, info, only_instances=touched)
    after = {f.key: f for f in again.findings}
    manual = {
        (m.rule_id, ids.norm(m.resource_id), ids.norm(m.instance)) for m in report.plan.manual
    }
    planned: dict[tuple[str, str], str] = {}
    for a in report.plan.actions:
        if report.outcomes.get(a.id) is not None and report.verified.get(a.id):
            for r in a.rule_ids:
                planned.setdefault((r, ids.norm(a.instance)), a.id)
    planned_rules = {(r, ids.norm(a.instance)) for a in report.plan.actions for r in a.rule_ids}
    for f in prepared.result.findings:
        if f.status is not Status.FAIL or (f.rule_id, ids.norm(f.instance)) not in planned_rules:
            continue
        if (f.rule_id, ids.norm(f.resource_id), ids.norm(f.instance)) in manual:
            continue
        now = after.get(f.key)
        if now is not None and now.status is Status.PASS:
            by = planned.get((f.rule_id, ids.norm(f.instance)))
            report.fixed.append(dataclasses.replace(now, fixed_by=by) if by else now)
        else:
            report.remaining.append(now or f)


def merge_verified(result: ScanResult, report: Report) -> None:
    """The scan's findings as they stand after the fix: each finding the fix verified from ARM
    is ``pass`` with ``fixed_by``; everything else keeps its status."""
    fixed = {f.key: f for f in report.fixed if f.fixed_by}
    if fixed:
        result.findings = [
            fixed.get(f.key, f) if f.status is Status.FAIL else f for f in result.findings
        ]


@dataclass(slots=True)
class FixOptions:
    """The ``--fix`` flags."""

    only: list[str] = field(default_factory=list)
    dry_run: bool = False
    yes: bool = False
    plan_out: Path | None = None
    audit_log: Path | None = None
    concurrency: int = 8
    offline: bool = False  # the scan came from a snapshot: plan only


def _progress(console: Any, total: int) -> tuple[Progress, Any]:
    """A progress callback: a live bar of running operations on a terminal, lines otherwise."""
    import threading

    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    bar = None
    running: dict[str, str] = {}
    lock = threading.Lock()
    if console.is_terminal:
        bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        task = bar.add_task("applying", total=total)

    def show(event: str, action: Any, outcome: Outcome | None) -> None:
        with lock:
            if event == "start":
                running[action.id] = action.id
                if bar is None:
                    console.print(f"[dim]… {action.id} {action.summary}[/dim]")
            elif outcome is not None:
                running.pop(action.id, None)
                console.print(
                    f"  {action.id} {outcome.status} ({outcome.seconds:.1f}s) {action.summary}"
                )
                if bar is not None:
                    bar.advance(task)
            if bar is not None:
                waiting = ", ".join(sorted(running)[:6]) + (" …" if len(running) > 6 else "")
                bar.update(task, description=f"waiting on {waiting}" if waiting else "applying")

    return show, bar


def _execute_with_progress(
    plan: Plan, clients: RemediationClients, opts: FixOptions, console: Any, check_stale: bool
) -> Report:
    show, bar = _progress(console, len(plan.actions))
    with bar if bar is not None else contextlib.nullcontext():
        return execute(
            plan,
            clients,
            concurrency=opts.concurrency,
            audit_path=opts.audit_log,
            progress=show,
            check_stale=check_stale,
        )


def fix_after_scan(
    prepared: Prepared,
    opts: FixOptions,
    clients: RemediationClients | None,
    console: Any,
    confirm: Callable[[], bool],
    reevaluate_with: tuple[RulePack, list[Rule], ScanOptions] | None = None,
) -> Report:
    """Show the plan, then (unless planning only) confirm, apply and verify it."""
    from amlguard.remediate.render import print_plan, print_report

    plan = prepared.plan
    print_plan(plan, console)
    if opts.plan_out is not None:
        plan.write(opts.plan_out)
        console.print(f"Plan written to {opts.plan_out} (digest {plan.digest()})")
    if opts.offline or opts.dry_run or clients is None:
        why = "a snapshot cannot be changed" if opts.offline else "--dry-run"
        console.print(f"Planned only ({why}): nothing was changed.")
        return Report(plan, dry_run=True)
    if plan.empty:
        return Report(plan)
    if not opts.yes and not confirm():
        console.print("Not applied: nothing was changed.")
        return Report(plan, dry_run=True)
    report = _execute_with_progress(plan, clients, opts, console, check_stale=False)
    if reevaluate_with is not None:
        reevaluate(report, prepared, *reevaluate_with)
    print_report(report, console)
    return report


def apply_file(
    plan: Plan,
    opts: FixOptions,
    clients: RemediationClients,
    console: Any,
    confirm: Callable[[], bool],
    parameters: dict[str, dict[str, Any]] | None = None,
    cloud: str = "AzureCloud",
    instance_settings: Any = None,
    *,
    rescan: Callable[[Plan], Any],
) -> Report:
    """``amlguard apply FILE``: every action is rebuilt from ARM and held against a plan made
    now before anything is sent.

    ``rescan(plan)`` reads the estate of the plan's subscriptions again and judges it as a live
    check does with the same config (``amlguard.app.Prepared``; None when the plan names no
    workspace). A plan whose requests differ from what amlguard would plan now, or with an
    action a plan made now would not hold (its finding passes, is suppressed, is no longer
    judged, or is left to a human), is refused whole (``InputError``, exit 2, nothing written),
    and so is one that cuts public access where a private DNS zone no longer resolves in the
    solution VNet (``dnsrecheck``); stale actions (live state no longer as planned) are refused
    one by one. What is shown, asked for and sent is the rebuilt plan, with the manual steps
    and warnings of the plan made now (never the file's).
    """
    from amlguard.remediate.dnsrecheck import recheck
    from amlguard.remediate.live import LiveView
    from amlguard.remediate.render import print_plan, print_report
    from amlguard.remediate.replan import fresh_plan, hold
    from amlguard.remediate.verify import describe, rebuild_plan

    live = LiveView(clients.get, parameters, cloud)
    live.prefetch(plan_reads(plan), opts.concurrency)
    rebuilt = rebuild_plan(plan, live)
    scan = rescan(plan)
    if scan is None:
        plan = dataclasses.replace(rebuilt, manual=[], warnings=[])
    else:
        plan = hold(rebuilt, plan, fresh_plan(scan, plan, clients.get), scan.result)
    recheck(plan, clients, parameters, cloud, instance_settings)
    print_plan(plan, console)
    if plan.empty:
        return Report(plan)
    console.print(describe(plan))
    if opts.dry_run or (not opts.yes and not confirm()):
        console.print("Not applied: nothing was changed.")
        return Report(plan, dry_run=True)
    report = _execute_with_progress(plan, clients, opts, console, check_stale=True)
    print_report(report, console)
    if any(o.status == "done" for o in report.outcomes.values()):
        console.print(
            "Resource Graph may show these changes only minutes from now; amlguard verified "
            "them from ARM."
        )
    return report


def fix_check(
    scan: Any,
    opts: FixOptions,
    clients: RemediationClients | None,
    console: Any,
    confirm: Callable[[], bool],
    reader: Callable[[str], dict[str, Any] | None] | None = None,
) -> Report:
    """``check --fix`` on the application's judged scan (``amlguard.app.Prepared``): plan from
    what still fails after the gates, confirm, apply, verify from ARM, and lay the verified state
    over ``scan.result`` so the reports and the exit code describe the estate after the fix."""
    plan = build_plan(
        scan.result,
        Inventory(scan.rows),
        list(opts.only),
        dict(scan.options.parameters),
        scan.options.cloud,
        reader,
    )
    named = getattr(getattr(scan, "settings", None), "selection", None)
    plan.selection = selection_of(
        [r.id for r in scan.result.rules], list(opts.only), getattr(named, "rule_ids", ())
    )
    prepared = Prepared(scan.result, scan.rows, plan)
    report = fix_after_scan(
        prepared, opts, clients, console, confirm, (scan.pack, scan.rules, scan.options)
    )
    merge_verified(scan.result, report)
    changed = [c.resource_id for a in plan.actions if a.id in report.outcomes for c in a.changes]
    changed += [rid for rid in report.reads]
    if changed and not report.dry_run:
        from amlguard.freshness import record_fixed

        record_fixed(changed)
        console.print(
            "Resource Graph may show these changes minutes from now: for 24 hours, checks on "
            "this machine re-read the changed resources from ARM."
        )
    return report
