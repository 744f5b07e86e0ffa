"""The Markdown report: for ``$GITHUB_STEP_SUMMARY``, PR comments and wiki pages.

A headline verdict, the counts, then a table per instance (failures, errors and suppressions;
passes too with ``--verbose``) with each failure's detail in a collapsible ``<details>``. GitHub
refuses step summaries and comments over 65,536 characters, so the report stops adding
instances before :data:`MAX_CHARS` and says so.
"""

from __future__ import annotations

import html
from collections import defaultdict
from typing import Any

from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.reports.json_report import instance_counts, summary
from amlguard.reports.text import gap_text, short_name, suppression_text, value_text, verdict
from amlguard.scanner.model import Finding, ScanResult, Status

MAX_CHARS = 65_000
_NOTE_ROOM = 400  # kept free for the truncation note
_ICON = {
    Status.FAIL: "\u274c fail",
    Status.ERROR: "\u26a0\ufe0f error",
    Status.SUPPRESSED: "\U0001f515 suppressed",
    Status.SKIPPED: "\u23ed\ufe0f skipped",
    Status.PASS: "\u2705 pass",
}
_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.SUPPRESSED: 2, Status.SKIPPED: 3, Status.PASS: 4}


def _cell(text: Any) -> str:
    """Safe inside a table cell: no pipes, no newlines, no HTML."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", "<br>")


def _code(text: Any) -> str:
    """A code span (entities are not decoded inside one, so nothing is HTML-escaped)."""
    return "`" + str(text).replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def _headline(result: ScanResult, options: ReportOptions) -> list[str]:
    text = verdict(result, options.fail_on)
    icon = (
        "\u2705"
        if text.startswith("PASSED")
        else ("\u26a0\ufe0f" if "INCOMPLETE" in text else "\u274c")
    )
    counts = summary(result)["by_status"]
    src = result.source
    lines = [
        f"## {icon} amlguard: {_cell(text)}",
        "",
        f"Scanned {_cell(src.description)} ({_cell(src.kind)}) at {result.scan_time}; "
        f"rule pack {result.pack_version}, {len(result.rules)} rule(s), "
        f"{len(result.instances)} workspace(s).",
        "",
        "| fail | error | suppressed | skipped | pass |",
        "|---:|---:|---:|---:|---:|",
        f"| {counts['fail']} | {counts['error']} | {counts['suppressed']} | "
        f"{counts['skipped']} | {counts['pass']} |",
        "",
    ]
    if not src.complete:
        lines.append("> [!CAUTION]")
        lines.append("> **Scan incomplete**: these findings cannot all be trusted.")
        lines += [f"> - {_cell(gap_text(gap))}" for gap in src.gaps]
        lines.append("")
    if result.warnings:
        lines.append("> [!WARNING]")
        lines += [f"> - {_cell(w)}" for w in result.warnings]
        lines.append("")
    return lines


def _baseline(result: ScanResult) -> list[str]:
    b = result.baseline
    if b is None:
        return []
    lines = [
        f"**Baseline** {_code(b['file'])}: {b['new']} new, {b['known']} known (not failing "
        f"the gate), {len(b['resolved'])} resolved since it was recorded.",
        "",
    ]
    if b["resolved"]:
        lines.append(
            f"<details><summary>Resolved since the baseline ({len(b['resolved'])})</summary>"
        )
        lines.append("")
        lines += [
            f"- {_code(e['rule_id'])} {_cell(short_name(e['resource_id']))}: {_cell(e.get('message', ''))}"
            for e in b["resolved"]
        ]
        lines += ["", "</details>", ""]
    return lines


def _status_cell(f: Finding) -> str:
    text = _ICON[f.status]
    if f.baseline_state == "known":
        text = "\U0001f4cc known"
    elif f.baseline_state == "new":
        text += " (new)"
    return text


def _row(f: Finding) -> str:
    detail = f.message
    if f.status is Status.SUPPRESSED:
        detail += (
            f" \u2014 {suppression_text(f.suppression, cite_source=True, reason_required=True)}"
        )
    return (
        f"| {_code(f.rule_id)} | {f.severity.label} | {_status_cell(f)} | "
        f"{_cell(short_name(f.resource_id))} | {_cell(detail)} |"
    )


def _details(f: Finding) -> list[str]:
    summary_text = html.escape(
        f"{f.rule_id} [{f.severity.label}] {short_name(f.resource_id)}: {f.message}"
    )
    body = [f"<details><summary>{summary_text}</summary>", ""]
    body.append(f"- resource: {_code(f.resource_id)}")
    if f.expected is not None:
        body.append(f"- expected: {_code(value_text(f.expected))}")
    body.append(f"- found: {_code(value_text(f.actual))}")
    if f.path:
        body.append(f"- where: {_code(f.path)}")
    if f.remediation:
        lines = f.remediation.splitlines()
        body.append(f"- fix: {_cell(lines[0])}")
        if len(lines) > 1:
            body += ["", "```sh", *lines[1:], "```"]
    body += ["", "</details>", ""]
    return body


def _instance_section(
    inst: dict[str, Any], findings: list[Finding], verbose: bool, details: bool = True
) -> list[str]:
    shown = [f for f in findings if verbose or f.status is not Status.PASS]
    shown.sort(key=lambda f: (_ORDER[f.status], -f.severity, f.rule_id, f.resource_id.lower()))
    parts = ", ".join(f"{n} {s}" for s, n in inst["counts"].items() if n) or "no findings"
    lines = [f"### {_cell(inst['name'])}", "", f"{_code(inst['id'])}: {parts}.", ""]
    if shown:
        lines += ["| rule | severity | status | resource | finding |", "|---|---|---|---|---|"]
        lines += [_row(f) for f in shown]
        lines.append("")
    if details:
        lines += [line for f in shown if f.status is Status.FAIL for line in _details(f)]
    return lines


@register
class MarkdownReport(Report):
    """A summary a reviewer reads in a pull request or a CI run page."""

    name = "markdown"
    suffix = ".md"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        out = "\n".join(_headline(result, options) + _baseline(result)) + "\n"
        by_instance: dict[str, list[Finding]] = defaultdict(list)
        for f in result.findings:
            by_instance[f.instance].append(f)
        instances = instance_counts(result)
        if not instances:
            return out + "No Azure Machine Learning workspace found in the scanned estate.\n"
        budget = MAX_CHARS - _NOTE_ROOM
        compact = 0
        for i, inst in enumerate(instances):
            findings = by_instance[inst["id"]]
            full = "\n".join(_instance_section(inst, findings, options.verbose)) + "\n"
            if not compact and len(out) + len(full) <= budget:
                out += full
                continue
            # Out of room for details: keep the tables (every finding still listed) if we can.
            lines = _instance_section(inst, findings, options.verbose, details=False)
            if len(out) + sum(len(line) + 1 for line in lines) <= budget:
                out += "\n".join(lines) + "\n"
                compact += 1
                continue
            for line in lines:
                if len(out) + len(line) + 1 > budget:
                    break
                out += line + "\n"
            return out + "\n" + _truncation_note(i, len(instances), compact)
        if compact:
            out += "\n" + _truncation_note(len(instances), len(instances), compact)
        return out


def _truncation_note(complete: int, total: int, compact: int) -> str:
    if complete == total:
        what = f"the failure details of the last {compact} workspace(s) are left out"
    else:
        what = f"it stops in workspace {complete + 1} of {total}"
    return (
        f"> [!NOTE]\n> **Truncated**: {what} to stay under {MAX_CHARS:,} characters "
        "(GitHub's limit for step summaries and comments). The JSON, SARIF or JUnit report has "
        "every finding.\n"
    )
