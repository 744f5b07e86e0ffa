"""Printing plans and outcomes (the CLI's only remediation output).

The plan reads like ``terraform plan``: one block per action (id, summary, each
``before -> after``, flags, dependencies, then the API call and the body it sends on lines of
their own), plain enough to read at 80 columns and in a log file. Everything that comes from
Azure or a plan file is neutralised: no terminal escape or rich markup gets through.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from amlguard.remediate.plan import Action, Change, Plan
from amlguard.remediate.report import Report
from amlguard.scanner import ids
from amlguard.scanner.manual import needs_ml_extension

_STYLE = {"done": "green", "failed": "red", "skipped": "yellow", "refused": "magenta"}
_SYMBOL = {(False, True): "+", (True, False): "-"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(value: Any, markup: bool = True) -> str:
    """Text safe for a terminal (and, with ``markup``, for rich): control characters shown as
    ``\\xNN``, markup escaped (resource names, tags and plan files are data amlguard did not
    write)."""
    text = str(value)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    text = "".join(
        ch if unicodedata.category(ch) != "Cs" else "\\ufffd" for ch in text
    )  # lone surrogates
    return escape(text) if markup else text


def _value(value: Any, path: str | None) -> str:
    if path is None:
        return "exists" if value else "absent"
    if value is None:
        return "(absent)"
    return json.dumps(value, ensure_ascii=True)


def change_line(c: Change) -> str:
    """``  ~ label: before -> after`` (``+`` creates, ``-`` removes, ``~`` updates)."""
    symbol = _SYMBOL.get((bool(c.before), bool(c.after)), "~") if c.path is None else "~"
    what = c.label or c.path or "resource"
    return f"  {symbol} {what}: {_value(c.before, c.path)} -> {_value(c.after, c.path)}"


def action_block(a: Action, markup: bool = True) -> list[str]:
    """The lines of one action (plain text; rich-escaped when ``markup``)."""
    lines = [
        f"# {a.id}  {a.summary}",
        f"  rules {', '.join(a.rule_ids) or '-'} · workspace {ids.parse(a.instance).name}"
        f" · {a.operation}",
    ]
    lines += [change_line(c) for c in a.changes]
    for flag in a.flags:
        lines.append(f"  ! {flag}")
    if a.depends_on:
        lines.append(f"  after {', '.join(a.depends_on)}")
    lines.append(f"  {a.call.method} {a.call.path}?api-version={a.call.api_version}")
    if a.body:
        lines.append("  body " + json.dumps(a.body, sort_keys=True, ensure_ascii=True))
    return [clean(line, markup) for line in lines]


def plan_text(plan: Plan) -> str:
    """The whole plan as plain text (what ``print_plan`` shows, without colour)."""
    out: list[str] = []
    for a in plan.actions:
        out += [*action_block(a, markup=False), ""]
    return "\n".join(out)


def print_plan(plan: Plan, console: Console) -> None:
    """The plan: a block per action, then the manual steps and warnings."""
    if plan.empty:
        console.print("[green]Nothing to fix automatically[/green]: the plan has no action.")
    else:
        counts = f"{len(plan.actions)} action(s)"
        if plan.manual:
            counts += f", {len(plan.manual)} manual step(s)"
        console.print(f"[bold]Plan: {counts}[/bold]")
        console.print()
        for a in plan.actions:
            for i, line in enumerate(action_block(a)):
                style = "bold" if i == 0 else ""
                if line.startswith("  ! "):
                    style = "bold red"
                console.print(f"[{style}]{line}[/{style}]" if style else line, soft_wrap=True)
            console.print()
    if plan.manual:
        console.print(f"[bold]Manual steps ({len(plan.manual)})[/bold]: amlguard will not do these")
        for m in plan.manual:
            name = clean(ids.parse(m.resource_id).name)
            console.print(f"  {clean(m.rule_id)} {name}: {clean(m.reason)}", soft_wrap=True)
            for line in m.command.splitlines():
                style = "dim" if line.startswith("#") else "cyan"
                console.print(f"      [{style}]{clean(line)}[/{style}]", soft_wrap=True)
        note = needs_ml_extension([m.command for m in plan.manual])
        if note:
            console.print(f"  [dim]{clean(note)}[/dim]", soft_wrap=True)
    for w in plan.warnings:
        console.print(f"[yellow]warning:[/yellow] {clean(w)}", soft_wrap=True)


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
        table.add_row(
            a.id, clean(a.summary), f"[{style}]{o.status}[/{style}]", verified, clean(detail)
        )
    console.print(table)
    for err in report.read_errors:
        console.print(f"[red]could not re-read[/red] {clean(err)}", soft_wrap=True)
    if report.fixed or report.remaining:
        console.print(
            f"Verified from ARM: {len(report.fixed)} finding(s) now compliant, "
            f"{len(report.remaining)} still failing."
        )
        for f in report.remaining:
            console.print(
                f"  [red]{clean(f.rule_id)}[/red] {clean(ids.parse(f.resource_id).name)}: "
                f"{clean(f.message)}",
                soft_wrap=True,
            )
    counts: dict[str, int] = {}
    for o in report.outcomes.values():
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    console.print(f"Result: {summary or 'nothing applied'} (exit {report.exit_code}).")
