"""The terminal report (rich): a line per instance, then the failures grouped by instance."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.scanner.model import Finding, ScanResult, Severity, Status

# rich is imported where it is used: importing it costs ~40 ms, paid by every command that
# loads the report registry (``check --format json`` included) otherwise.
if TYPE_CHECKING:
    from rich.console import Console

_STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
    Status.PASS: "green",
    Status.SUPPRESSED: "dim",
    Status.SKIPPED: "dim",
}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_SHOWN = (Status.FAIL, Status.ERROR)


def _short(resource_id: str) -> str:
    parts = resource_id.rstrip("/").split("/")
    return parts[-1] if parts else resource_id


def _value(value: Any) -> str:
    if isinstance(value, list):
        return (
            ", ".join(_short(str(v)) if str(v).startswith("/") else str(v) for v in value) or "none"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return "absent" if value is None else str(value)


def verdict(result: ScanResult, fail_on: Severity | None) -> str:
    """One line a human reads first: passed, failed, or could not judge everything."""
    failing = [f for f in result.findings if f.status is Status.FAIL]
    gated = [f for f in failing if fail_on is not None and f.severity >= fail_on]
    errors = [f for f in result.findings if f.status is Status.ERROR]
    if errors or not result.source.complete:
        return f"INCOMPLETE: {len(errors)} finding(s) could not be judged; {len(failing)} failing."
    if gated:
        return f"FAILED: {len(gated)} failing finding(s) at or above {fail_on.label if fail_on else ''}."
    if failing:
        return f"PASSED the gate: {len(failing)} failing finding(s) below the --fail-on threshold."
    return "PASSED: every judged resource follows the blueprint."


@register
class ConsoleReport(Report):
    """What a person sees in a terminal."""

    name = "console"
    suffix = ".txt"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        from rich.console import Console
        from rich.text import Text

        buffer = io.StringIO()
        console = Console(
            file=buffer,
            force_terminal=options.color,
            no_color=not options.color,
            color_system="standard" if options.color else None,
            width=options.width or 110,
            highlight=False,
            emoji=False,
        )
        self._header(console, result)
        by_instance: dict[str, list[Finding]] = defaultdict(list)
        for f in result.findings:
            by_instance[f.instance].append(f)
        for inst in result.instances:
            self._instance_line(console, inst, by_instance.get(inst.id, []))
        for inst in result.instances:
            shown = [
                f for f in by_instance.get(inst.id, []) if f.status in _SHOWN or options.verbose
            ]
            if shown:
                self._details(console, inst, shown)
        if not result.instances:
            console.print("No Azure Machine Learning workspace found in the scanned estate.")
        console.print()
        style = (
            "bold green" if verdict(result, options.fail_on).startswith("PASSED") else "bold red"
        )
        console.print(Text(verdict(result, options.fail_on), style=style))
        return buffer.getvalue()

    def _header(self, console: Console, result: ScanResult) -> None:
        from rich.text import Text

        src = result.source
        console.print(
            Text.assemble(
                ("amlguard", "bold"),
                f" scanned {src.description} ({src.kind}) at {result.scan_time}; ",
                f"rule pack {result.pack_version}, {len(result.rules)} rule(s).",
            )
        )
        if not src.complete:
            console.print(
                Text(
                    "SCAN INCOMPLETE: the findings below cannot all be trusted.",
                    style="bold magenta",
                )
            )
            for gap in src.gaps:
                scope = f" [{gap.scope}]" if gap.scope else ""
                console.print(Text(f"  - {gap.reason}{scope}", style="magenta"))
        for warning in result.warnings:
            console.print(Text(f"warning: {warning}", style="yellow"))
        console.print()

    def _instance_line(self, console: Console, inst: Any, findings: list[Finding]) -> None:
        from rich.text import Text

        counts = {s: 0 for s in Status}
        for f in findings:
            counts[f.status] += 1
        bad = counts[Status.FAIL] or counts[Status.ERROR]
        mark = Text("FAIL " if counts[Status.FAIL] else ("ERROR" if bad else "OK   "))
        mark.stylize(_STATUS_STYLE[Status.FAIL] if bad else _STATUS_STYLE[Status.PASS])
        parts = [f"{counts[s]} {s.value}" for s in Status if counts[s]]
        console.print(
            Text.assemble(mark, " ", (inst.name, "bold"), f"  {', '.join(parts) or 'no findings'}")
        )

    def _details(self, console: Console, inst: Any, findings: list[Finding]) -> None:
        from rich.markup import escape
        from rich.table import Table
        from rich.text import Text

        console.print()
        console.print(Text(f"{inst.name}  {inst.id}", style="bold underline"))
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("sev", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("resource / finding", ratio=1)
        order = sorted(findings, key=lambda f: (-f.severity, f.rule_id, f.resource_id.lower()))
        for f in order:
            lines = [f"[bold]{escape(_short(f.resource_id))}[/]  {escape(f.message)}"]
            if f.status is Status.FAIL:
                if f.expected is not None:
                    lines.append(f"expected: {escape(_value(f.expected))}")
                lines.append(f"found:    {escape(_value(f.actual))}")
                if f.path:
                    lines.append(f"where:    {escape(f.path)}")
            if f.remediation and f.status in _SHOWN:
                lines.append(f"fix:      {escape(f.remediation.splitlines()[0])}")
                for extra in f.remediation.splitlines()[1:]:
                    lines.append(f"          {escape(extra)}")
            table.add_row(
                f.rule_id,
                Text(f.severity.label, style=_SEVERITY_STYLE[f.severity]),
                Text(f.status.value, style=_STATUS_STYLE[f.status]),
                "\n".join(lines),
            )
        console.print(table)
