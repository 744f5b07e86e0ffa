"""The diff and the scan list as text: console (rich), JSON, and a small Markdown renderer.

The Markdown is written here rather than through the reports package on purpose: a diff is not a
scan result, and a PR comment or job summary only needs headings and tables. Everything recorded
came from data we did not write (names, messages, scopes, offenders), so every human format
neutralises it the way the check's reports do (:mod:`amlguard.reports.safe`): no control
character reaches a terminal, no link, mention, HTML or table break reaches Markdown.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from amlguard import offenders as offender_ids
from amlguard.history.diff import Change, Diff
from amlguard.history.records import ScanRecord, StoredFinding
from amlguard.reports.safe import markdown, terminal

DIFF_FORMATS = ("console", "json", "markdown")

_SECTIONS: list[tuple[str, str, str]] = [
    # (attribute, heading, style)
    ("new", "New failures", "bold red"),
    ("resolved", "Resolved", "green"),
    ("still_failing", "Still failing", "red"),
    ("unjudged", "Could not be judged any more", "magenta"),
]


def short(resource_id: str) -> str:
    """The last segment of an ARM id (its name)."""
    parts = resource_id.rstrip("/").split("/")
    return parts[-1] if parts else resource_id


def _scan_label(scan: ScanRecord | None) -> str:
    return f"scan {scan.id} ({scan.scan_time})" if scan else "nothing recorded"


def _headline(diff: Diff) -> str:
    c = diff.counts()
    return (
        f"{c['new']} new failure(s), {c['resolved']} resolved, "
        f"{c['still_failing']} still failing, {c['unjudged']} could not be judged"
    )


def _detail(section: str, change: Change) -> str:
    if change.new_offenders:
        named = ", ".join(offender_ids.label(o) for o in change.new_offenders)
        since = f"; failing since {change.first_seen}" if change.first_seen else ""
        return f"new offender(s): {named}{since}"
    if section == "resolved":
        return change.reason
    if section == "unjudged":
        return change.reason + (f"; failing since {change.first_seen}" if change.first_seen else "")
    if section == "still_failing":
        return f"since {change.first_seen}" if change.first_seen else ""
    return ""


def _console(diff: Diff, color: bool) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=110,
        highlight=False,
        emoji=False,
    )
    console.print(
        Text.assemble(
            ("amlguard diff", "bold"),
            terminal(
                f" of scope {diff.after.scope}: "
                f"{_scan_label(diff.before)} -> {_scan_label(diff.after)}"
            ),
        )
    )
    if diff.before and diff.before.scope != diff.after.scope:
        console.print(
            Text(terminal(f"note: comparing across scopes ({diff.before.scope})"), style="yellow")
        )
    if not diff.after.complete:
        console.print(Text("note: the later scan is incomplete", style="bold magenta"))
    console.print(_headline(diff))
    for attr, heading, style in _SECTIONS:
        changes: tuple[Change, ...] = getattr(diff, attr)
        if not changes:
            continue
        console.print()
        console.print(Text(f"{heading} ({len(changes)})", style=style))
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=True)
        for column in ("sev", "rule", "resource", "instance"):
            table.add_column(column, no_wrap=True)
        table.add_column("finding", ratio=1)
        for change in changes:
            f = change.finding
            detail = _detail(attr, change)
            table.add_row(
                f.severity.label,
                Text(terminal(f.rule_id)),
                Text(terminal(short(f.resource_id))),
                Text(terminal(short(f.instance))),
                Text(terminal(f.message + (f"  [{detail}]" if detail else ""))),
            )
        console.print(table)
    return buffer.getvalue()


def md(text: object) -> str:
    """Text safe inside a Markdown table cell (resource names are user data)."""
    return markdown(text)


def _markdown(diff: Diff) -> str:
    lines = [
        f"## amlguard drift: {md(_scan_label(diff.before))} → {md(_scan_label(diff.after))}",
        "",
        f"Scope: {md(diff.after.scope)}",
        "",
    ]
    if diff.before and diff.before.scope != diff.after.scope:
        lines += [f"> Comparing across scopes (from {md(diff.before.scope)}).", ""]
    if not diff.after.complete:
        lines += ["> **The later scan is incomplete**: some findings could not be judged.", ""]
    lines += ["| change | findings |", "|---|---:|"]
    for attr, heading, _style in _SECTIONS:
        lines.append(f"| {heading} | {len(getattr(diff, attr))} |")
    for attr, heading, _style in _SECTIONS:
        changes: tuple[Change, ...] = getattr(diff, attr)
        if not changes:
            continue
        lines += ["", f"### {heading} ({len(changes)})", ""]
        lines += [
            "| severity | rule | resource | instance | finding | |",
            "|---|---|---|---|---|---|",
        ]
        for change in changes:
            f = change.finding
            lines.append(
                f"| {md(f.severity.label)} | {md(f.rule_id)} | {md(short(f.resource_id))} "
                f"| {md(short(f.instance))} | {md(f.message)} | {md(_detail(attr, change))} |"
            )
    return "\n".join(lines) + "\n"


def render_diff(diff: Diff, fmt: str, color: bool = False) -> str:
    """The diff in one of :data:`DIFF_FORMATS`."""
    renderers: dict[str, Callable[[], str]] = {
        "console": lambda: _console(diff, color),
        "json": lambda: json.dumps(diff.to_dict(), indent=2, default=str) + "\n",
        "markdown": lambda: _markdown(diff),
    }
    return renderers[fmt]()


def render_scans(scans: list[ScanRecord], fmt: str) -> str:
    """``history list``: a table, or a JSON array."""
    if fmt == "json":
        return json.dumps([s.to_dict() for s in scans], indent=2) + "\n"
    if not scans:
        return "No scans recorded.\n"
    header = (
        f"{'ID':>5}  {'SCAN TIME':<20}  {'FAIL':>5}  {'ERROR':>5}  {'PASS':>5}  DONE  "
        f"{'GATE':<10}  SCOPE"
    )
    rows = [header]
    for s in scans:
        rows.append(
            f"{s.id:>5}  {terminal(s.scan_time):<20}  {s.failing:>5}  {s.counts.get('error', 0):>5}  "
            f"{s.counts.get('pass', 0):>5}  {'yes' if s.complete else 'NO ':<4}  "
            f"{s.gate or '-':<10}  {terminal(s.scope)}"
        )
    return "\n".join(rows) + "\n"


def render_scan(scan: ScanRecord, findings: list[StoredFinding], fmt: str, verbose: bool) -> str:
    """``history show``: the scan's metadata and its failing (or, verbose, all) findings."""
    shown = [f for f in findings if verbose or f.status.value in ("fail", "error")]
    if fmt == "json":
        doc = scan.to_dict() | {"findings": [f.to_dict() for f in shown]}
        return json.dumps(doc, indent=2, default=str) + "\n"
    lines = [
        terminal(f"scan {scan.id}  {scan.scan_time}  scope {scan.scope}"),
        terminal(f"  source: {scan.source_kind} {scan.source_description}"),
        terminal(
            f"  amlguard {scan.tool_version}, rule pack {scan.pack_version} ({scan.pack_hash})"
        ),
        f"  complete: {'yes' if scan.complete else 'NO'}"
        + "".join(f"\n  gap: {terminal(g)}" for g in scan.gaps),
        "  counts: " + ", ".join(f"{n} {s}" for s, n in scan.counts.items() if n),
        "",
    ]
    for f in sorted(shown, key=lambda f: (-f.severity, f.rule_id, f.resource_id.lower())):
        since = f"  (failing since {f.first_seen})" if f.first_seen else ""
        lines.append(
            terminal(
                f"{f.status.value:<10} {f.severity.label:<8} {f.rule_id:<9} "
                f"{short(f.resource_id)}  {f.message}{since}"
            )
        )
    if not shown:
        lines.append("No failing findings." if not verbose else "No findings.")
    return "\n".join(lines) + "\n"
