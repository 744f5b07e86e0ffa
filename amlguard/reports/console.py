"""The terminal report (rich): the fleet overview, then the failures grouped by workspace.

``compact`` (``--compact``) prints the overview and one line per failing finding;
``failed_only`` (``--failed-only``) leaves out workspaces without failures or errors. Every
piece of data we did not write goes through :func:`amlguard.reports.safe.terminal` first, so a
name cannot move the cursor, recolour the screen or fake a line.

Laid out as compact blocks rather than a table, so it reads at 80 columns and survives a pipe:
prose wraps with a hanging indent, fix commands are never wrapped (copy them whole). Colour
only when the CLI says so (a terminal without ``NO_COLOR``); otherwise plain text, no escapes.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from amlguard import __version__
from amlguard.reports import overview
from amlguard.reports.console_text import (
    compact,
    default_width,
    failed_only,
    friendly_type,
    resource_suffix,
    short_sub,
)
from amlguard.reports.console_text import (
    value as _value,
)
from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.reports.safe import terminal as _t
from amlguard.reports.text import (
    baseline_summary,
    gap_text,
    short_name,
    suppression_text,
    verdict,
)
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, ScanResult, Severity, Status

if TYPE_CHECKING:
    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text
else:
    # Bound by _load_rich() on the first console render: the registry imports every format,
    # and importing rich (~20 ms) is otherwise paid by 'check --format json' too.
    Console = Padding = Table = Text = None


def _load_rich() -> None:
    global Console, Padding, Table, Text
    if Text is None:
        from rich import console, padding, table, text

        Console, Padding, Table, Text = (  # type: ignore[misc]
            console.Console,
            padding.Padding,
            table.Table,
            text.Text,
        )


_STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
    Status.PASS: "green",
    Status.SUPPRESSED: "dim",
    Status.SKIPPED: "dim",
    Status.KNOWN: "dim",
}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
# The order counts are listed in, worst first.
_COUNT_ORDER = (
    Status.FAIL,
    Status.ERROR,
    Status.PASS,
    Status.SKIPPED,
    Status.SUPPRESSED,
    Status.KNOWN,
)
_SHOWN = (Status.FAIL, Status.ERROR)
_LABEL_WIDTH = 10
_INDENT = 4


def _config_suppressed(f: Finding) -> bool:
    # Accepted risks stay visible; baseline-known findings are summarised, not listed.
    return f.suppression is not None and f.suppression.get("kind") == "suppression"


def _wrapping(text: str) -> Text:
    """Prose that wraps; a word longer than the line (an ARM id) folds instead of being cut."""
    return Text(_t(text), overflow="fold")


def _new_mark(f: Finding, keys: set[str] | None) -> tuple[str, str]:
    return (" NEW", "bold yellow") if overview.is_new(f, keys) else ("", "")


def _counts(findings: Iterable[Finding]) -> dict[Status, int]:
    counts = dict.fromkeys(Status, 0)
    for f in findings:
        counts[f.status] += 1
    return counts


def _count_text(counts: dict[Status, int]) -> Text:
    """ "12 fail, 22 pass, 1 skipped, 3 known"."""
    text = Text()
    for status in _COUNT_ORDER:
        n = counts[status]
        if n:
            if text:
                text.append(", ")
            style = _STATUS_STYLE[status] if status in _SHOWN else ""
            text.append(f"{n} {status.value}", style=style)
    return text if text else Text("no findings", style="dim")


def _severity_breakdown(findings: list[Finding]) -> str:
    by_sev: dict[Severity, int] = defaultdict(int)
    for f in findings:
        by_sev[f.severity] += 1
    return ", ".join(f"{by_sev[s]} {s.label}" for s in sorted(by_sev, reverse=True))


@register
class ConsoleReport(Report):
    """What a person sees in a terminal."""

    name = "console"
    suffix = ".txt"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        _load_rich()
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            force_terminal=options.color,
            no_color=not options.color,
            color_system="standard" if options.color else None,
            width=options.width or default_width(),
            highlight=False,
            emoji=False,
            markup=False,
        )
        by_instance: dict[str, list[Finding]] = defaultdict(list)
        for f in result.findings:
            by_instance[ids.norm(f.instance)].append(f)
        keys = overview.new_keys(options.extra)
        rows = overview.lines(result, keys)
        if failed_only(options):
            rows = [r for r in rows if r.failing or r.errors]
        self._header(console, result, options.extra.get("loaded"))
        self._overview(console, result, rows, keys, options.extra)
        by_id = {ids.norm(inst.id): inst for inst in result.instances}
        for row in rows:
            inst = by_id[ids.norm(row.id)]
            findings = by_instance.get(ids.norm(inst.id), [])
            if compact(options):
                self._compact(console, inst, findings, keys)
            else:
                self._details(console, inst, findings, options, keys)
        self._footer(console, result, options)
        # Grid cells are padded to their width; trailing blanks only get in a reader's way.
        return "\n".join(line.rstrip(" ") for line in buffer.getvalue().split("\n"))

    def _header(self, console: Console, result: ScanResult, loaded: str | None = None) -> None:
        src = result.source
        console.print(
            Text.assemble(
                (f"amlguard {__version__}", "bold"),
                f"  rule pack {result.pack_version} ({len(result.rules)} rules)",
                f"  scanned {result.scan_time}",
            )
        )
        console.print(Text(_t(f"source: {src.kind} {src.description}")))
        if loaded:
            console.print(Text(_t(f"loaded: {loaded}")))
        if not src.complete:
            console.print(
                Text("SCAN INCOMPLETE: findings touched by these gaps are 'error':", "bold magenta")
            )
            for gap in src.gaps:
                console.print(Text(f"  - {_t(gap_text(gap))}", style="magenta"))
        for warning in result.warnings:
            console.print(Text(f"warning: {_t(warning)}", style="yellow"))
        if result.baseline is not None:
            b = result.baseline
            console.print(Text(_t(baseline_summary(b))))
            for entry in b["resolved"]:
                console.print(
                    Text(
                        _t(f"  resolved: {entry['rule_id']} {short_name(entry['resource_id'])}"),
                        "green",
                    )
                )

    def _overview(
        self,
        console: Console,
        result: ScanResult,
        rows: list[overview.WorkspaceLine],
        keys: set[str] | None,
        extra: dict[str, Any],
    ) -> None:
        console.print()
        if not result.instances:
            console.print("No Azure Machine Learning workspace found in the scanned estate.")
            return
        all_rows = overview.lines(result, keys) if len(rows) != len(result.instances) else rows
        console.print(
            Text(_t(overview.headline(all_rows, overview.tracks_new(result, extra))), style="bold")
        )
        if not rows:
            console.print(Padding(Text("No workspace has a failing finding.", "dim"), (0, 0, 0, 2)))
            return
        grid = Table.grid(padding=(0, 2), pad_edge=False)
        grid.add_column(no_wrap=True)  # mark
        grid.add_column(no_wrap=True)  # worst severity
        grid.add_column(no_wrap=True)  # name
        grid.add_column(no_wrap=True)  # resource group
        grid.add_column(no_wrap=True)  # subscription (its first block: the details have it all)
        grid.add_column()  # counts (and new): the one column that wraps
        for row in rows:
            mark = {
                "fail": Text("FAIL", _STATUS_STYLE[Status.FAIL]),
                "error": Text("ERROR", _STATUS_STYLE[Status.ERROR]),
                "ok": Text("OK", _STATUS_STYLE[Status.PASS]),
            }[row.state]
            worst = (
                Text(row.worst.label, _SEVERITY_STYLE[row.worst])
                if row.worst is not None
                else Text("-", "dim")
            )
            counts = _count_text(row.counts)
            if row.new:
                counts.append(f", {row.new} NEW", "bold yellow")
            grid.add_row(
                mark,
                worst,
                Text(_t(row.name), "bold"),
                Text(_t(row.resource_group), "dim"),
                Text(_t(short_sub(row.subscription)), "dim"),
                counts,
            )
        console.print(Padding(grid, (0, 0, 0, 2)))

    def _compact(
        self, console: Console, inst: Any, findings: list[Finding], keys: set[str] | None
    ) -> None:
        shown = sorted(
            (f for f in findings if f.status in _SHOWN),
            key=lambda f: (
                f.status is not Status.FAIL,
                -f.severity,
                f.rule_id,
                ids.norm(f.resource_id),
            ),
        )
        if not shown:
            return
        console.print()
        for f in shown:
            line = Text.assemble(
                (f.status.value.upper(), _STATUS_STYLE[f.status]),
                " ",
                (f"{f.severity.label:<8}", _SEVERITY_STYLE[f.severity]),
                (_t(f.rule_id), "bold"),
                _new_mark(f, keys),
                "  ",
                (_t(inst.name), "bold"),
                _t(resource_suffix(f, inst)),
                "  ",
                _t(f.message),
            )
            console.print(line, soft_wrap=True)

    def _details(
        self,
        console: Console,
        inst: Any,
        findings: list[Finding],
        options: ReportOptions,
        keys: set[str] | None,
    ) -> None:
        shown = [
            f
            for f in findings
            if f.status in _SHOWN or (_config_suppressed(f) and not failed_only(options))
        ]
        rest = (
            [f for f in findings if f not in shown]
            if options.verbose and not failed_only(options)
            else []
        )
        if not shown and not rest:
            return
        parts = ids.parse(inst.id)
        console.print()
        console.print(Text(_t(inst.name), "bold underline"))
        console.print(
            Padding(
                Text(
                    _t(
                        f"resource group {parts.resource_group}, subscription {parts.subscription_id}"
                    ),
                    "dim",
                ),
                (0, 0, 0, 2),
            )
        )
        order = sorted(
            shown,
            key=lambda f: (
                f.status is not Status.ERROR,
                f.status in (Status.SUPPRESSED, Status.KNOWN),
                -f.severity,
                f.rule_id,
                ids.norm(f.resource_id),
            ),
        )
        for f in order:
            self._finding(console, f, inst, keys)
        if rest:
            console.print()
            console.print(Padding(Text(f"Also judged ({len(rest)})", "bold"), (0, 0, 0, 2)))
            rule_width = max(len(f.rule_id) for f in rest)
            for f in sorted(rest, key=lambda f: (f.rule_id, ids.norm(f.resource_id))):
                line = Text.assemble(
                    (f"{f.status.value:<10}", _STATUS_STYLE[f.status]),
                    (f"{_t(f.rule_id):<{rule_width}}  ", "bold"),
                    (f"{f.severity.label:<8}", _SEVERITY_STYLE[f.severity]),
                    _t(short_name(f.resource_id)),
                )
                console.print(Padding(line, (0, 0, 0, _INDENT)))
                if f.status is not Status.PASS:
                    # Why it was skipped or suppressed, under the line it explains.
                    console.print(Padding(Text(_t(f.message), "dim"), (0, 0, 0, _INDENT + 10)))

    def _finding(self, console: Console, f: Finding, inst: Any, keys: set[str] | None) -> None:
        console.print()
        where = friendly_type(f.resource_type)
        if (
            ids.parse(f.resource_id).resource_group.lower()
            != ids.parse(inst.id).resource_group.lower()
        ):
            group = ids.parse(f.resource_id).resource_group
            where += f", resource group {group}" if group else ""
        console.print(
            Text.assemble(
                "  ",
                (f.status.value.upper(), _STATUS_STYLE[f.status]),
                " ",
                (_t(f.rule_id), "bold"),
                " ",
                (f.severity.label, _SEVERITY_STYLE[f.severity]),
                _new_mark(f, keys),
                "  ",
                (_t(short_name(f.resource_id)), "bold"),
                (_t(f" ({where})"), "dim"),
            )
        )
        block = Table.grid(padding=(0, 1), pad_edge=False)
        block.add_column(no_wrap=True, width=_LABEL_WIDTH - 1, style="dim")
        block.add_column()
        block.add_row("", _wrapping(f.message))
        if f.status is Status.FAIL:
            if f.expected is not None:
                block.add_row("expected", _wrapping(_value(f.expected)))
            block.add_row("found", _wrapping(_value(f.actual)))
            if f.path:
                block.add_row("where", _wrapping(f.path))
        if f.suppression:
            block.add_row("why", _wrapping(suppression_text(f.suppression)))
        summary, _, manual = f.remediation.partition("\n")
        if summary:
            block.add_row("fix", _wrapping(summary))
        console.print(Padding(block, (0, 0, 0, _INDENT)))
        for command in (line.strip() for line in manual.splitlines()):
            if command:
                # Never wrapped: a command broken across lines cannot be pasted.
                pad = " " * (_INDENT + _LABEL_WIDTH)
                console.print(Text.assemble(pad, ("$ ", "dim"), _t(command)), soft_wrap=True)

    def _footer(self, console: Console, result: ScanResult, options: ReportOptions) -> None:
        counts = _counts(result.findings)
        failing = [f for f in result.findings if f.status is Status.FAIL]
        console.print()
        if result.findings:
            totals = _count_text(counts)
            if failing:
                totals.append(f" (failing: {_severity_breakdown(failing)})")
            console.print(Text.assemble(("Total: ", "bold"), totals))
        text = verdict(result, options.fail_on)
        console.print(
            Text(_t(text), style="bold green" if text.startswith("PASSED") else "bold red")
        )
        if not options.verbose and counts[Status.PASS]:
            console.print(Text("(--verbose lists the passing checks too)", style="dim"))
