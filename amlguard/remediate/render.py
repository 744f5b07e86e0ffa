"""Printing plans and outcomes with rich (the CLI's only remediation output)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from amlguard.remediate.plan import Plan
from amlguard.scanner import ids

if TYPE_CHECKING:
    from amlguard.remediate.fix import Report

_STYLE = {"done": "green", "failed": "red", "skipped": "yellow", "refused": "magenta"}


def print_plan(plan: Plan, console: Console) -> None:
    """The plan: one row per action (target, changes, call, flags, dependencies), then manual steps."""
    if plan.empty:
        console.print("[green]Nothing to fix automatically[/green]: the plan has no action.")
    else:
        table = Table(title=f"Plan: {len(plan.actions)} action(s)", show_lines=True, expand=True)
        for col in ("id", "action", "changes", "API call", "flags", "after"):
            table.add_column(col, overflow="fold")
        for a in plan.actions:
            table.add_row(
                a.id,
                f"{a.summary}\n[dim]{', '.join(a.rule_ids)} · {ids.parse(a.instance).name}[/dim]",
                "\n".join(c.describe() for c in a.changes),
                a.call.describe(),
                "\n".join(f"[bold red]{f}[/bold red]" for f in a.flags),
                ", ".join(a.depends_on),
            )
        console.print(table)
    if plan.manual:
        console.print(f"[bold]Manual steps ({len(plan.manual)})[/bold]: amlguard will not do these")
        for m in plan.manual:
            console.print(f"  {m.rule_id} {ids.parse(m.resource_id).name}: {m.reason}")
            if m.command:
                console.print(f"      [cyan]{m.command}[/cyan]", soft_wrap=True)
    for w in plan.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")


def print_report(report: Report, console: Console) -> None:
    """Each action's outcome, then what verification found."""
    table = Table(title="Outcomes", expand=True)
    for col in ("id", "action", "outcome", "verified", "detail"):
        table.add_column(col, overflow="fold")
    for a in report.plan.actions:
        o = report.outcomes.get(a.id)
        if o is None:
            continue
        style = _STYLE.get(o.status, "")
        detail = f"{o.code}: {o.message}" if o.code else o.message
        verified = (
            "" if o.status != "done" else ("yes" if report.verified.get(a.id) else "[red]no[/red]")
        )
        table.add_row(a.id, a.summary, f"[{style}]{o.status}[/{style}]", verified, detail)
    console.print(table)
    for err in report.read_errors:
        console.print(f"[red]could not re-read[/red] {err}")
    if report.fixed or report.remaining:
        console.print(
            f"Verified from ARM: {len(report.fixed)} finding(s) now compliant, "
            f"{len(report.remaining)} still failing."
        )
        for f in report.remaining:
            console.print(f"  [red]{f.rule_id}[/red] {ids.parse(f.resource_id).name}: {f.message}")
    counts: dict[str, int] = {}
    for o in report.outcomes.values():
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    console.print(f"Result: {summary or 'nothing applied'} (exit {report.exit_code}).")
