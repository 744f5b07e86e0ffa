"""The Markdown report: for ``$GITHUB_STEP_SUMMARY``, PR comments and wiki pages.

The verdict, the fleet overview (a headline counting workspaces, then one row per workspace,
worst first), then each failure once: its rule id linked to the rule's documentation page, the
finding, and the manual command in a code block. Findings that could not be judged, accepted
risks and baseline-known failures follow in short tables. GitHub refuses step summaries and
comments over 65,536 characters: the report stays under :data:`MAX_CHARS`, cutting the details
first and the overview last, and says so.

Every piece of data we did not write goes through :mod:`amlguard.reports.safe`: no link, image,
mention, raw HTML, control character or code-fence breakout survives from a resource's name.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from amlguard.reports import overview
from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.reports.json_report import summary
from amlguard.reports.ruledocs import doc_url
from amlguard.reports.safe import code_block, code_span
from amlguard.reports.safe import markdown as _md
from amlguard.reports.text import (
    gap_text,
    short_if_id,
    short_name,
    suppression_text,
    value_text,
    verdict,
)
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, ScanResult, Status

MAX_CHARS = 65_000
_NOTE_ROOM = 400  # kept free for the truncation note
_ICON = {
    Status.FAIL: "\u274c fail",
    Status.ERROR: "\u26a0\ufe0f error",
    Status.SUPPRESSED: "\U0001f515 suppressed",
    Status.KNOWN: "\U0001f4cc known",
    Status.SKIPPED: "\u23ed\ufe0f skipped",
    Status.PASS: "\u2705 pass",
}
_NEW = "\U0001f195 NEW"
_STATE_ICON = {"fail": "\u274c", "error": "\u26a0\ufe0f", "ok": "\u2705"}
_ORDER = {
    Status.FAIL: 0,
    Status.ERROR: 1,
    Status.KNOWN: 2,
    Status.SUPPRESSED: 2,
    Status.SKIPPED: 3,
    Status.PASS: 4,
}


def _headline(
    result: ScanResult, options: ReportOptions, rows: list[overview.WorkspaceLine]
) -> list[str]:
    text = verdict(result, options.fail_on)
    icon = (
        "\u2705"
        if text.startswith("PASSED")
        else ("\u26a0\ufe0f" if "INCOMPLETE" in text else "\u274c")
    )
    counts = summary(result)["by_status"]
    src = result.source
    history = overview.tracks_new(result, options.extra)
    lines = [
        f"## {icon} amlguard: {_md(text)}",
        "",
        f"**{_md(overview.headline(rows, history))}**",
        "",
        f"Scanned {_md(src.description)} ({_md(src.kind)}) at {_md(result.scan_time)}; "
        f"rule pack {_md(result.pack_version)}, {len(result.rules)} rule(s), "
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
        lines += [f"> - {_md(gap_text(gap))}" for gap in src.gaps]
        lines.append("")
    if result.warnings:
        lines.append("> [!WARNING]")
        lines += [f"> - {_md(w)}" for w in result.warnings]
        lines.append("")
    return lines


def _baseline(result: ScanResult) -> list[str]:
    b = result.baseline
    if b is None:
        return []
    lines = [
        f"**Baseline** {code_span(b['file'])}: {b['new']} new, {b['known']} known (not failing "
        f"the gate), {len(b['resolved'])} resolved since it was recorded.",
        "",
    ]
    if b["resolved"]:
        lines.append(
            f"<details><summary>Resolved since the baseline ({len(b['resolved'])})</summary>"
        )
        lines.append("")
        lines += [
            f"- {code_span(e['rule_id'])} {_md(short_name(e['resource_id']))}: "
            f"{_md(e.get('message', ''))}"
            for e in b["resolved"]
        ]
        lines += ["", "</details>", ""]
    return lines


def _overview_rows(rows: list[overview.WorkspaceLine], history: bool) -> list[str]:
    head = "| | workspace | worst | failing | error |" + (" new |" if history else "")
    head += " resource group | subscription |"
    sep = "|---|---|---|---:|---:|" + ("---:|" if history else "") + "---|---|"
    out = [head, sep]
    for r in rows:
        worst = r.worst.label if r.worst is not None else "-"
        new = f" {r.new} |" if history else ""
        out.append(
            f"| {_STATE_ICON[r.state]} | {_md(r.name)} | {worst} | {r.failing} | {r.errors} |"
            f"{new} {_md(r.resource_group)} | {code_span(r.subscription)} |"
        )
    return out


def _value(value: Any) -> str:
    """Expected/found text, the ids in a list cut to their names (the table has the full ids)."""
    if isinstance(value, list):
        return ", ".join(short_if_id(v) if isinstance(v, str) else value_text(v) for v in value)
    return value_text(value)


def _rule_link(f: Finding, rules: dict[str, Any]) -> str:
    rule = rules.get(f.rule_id)
    url = doc_url(rule) if rule is not None else None
    span = code_span(f.rule_id)
    return f"[{span}]({url})" if url else span


def _failure(f: Finding, rules: dict[str, Any], keys: set[str] | None) -> list[str]:
    """One failure, once: heading line, evidence, fix, and the command in a code block."""
    new = f" {_NEW}" if overview.is_new(f, keys) else ""
    lines = [
        f"- {_rule_link(f, rules)} **{f.severity.label}**{new} "
        f"{code_span(short_name(f.resource_id))}: {_md(f.message)}"
    ]
    evidence = []
    if f.expected is not None:
        evidence.append(f"expected {code_span(_value(f.expected))}")
    evidence.append(f"found {code_span(_value(f.actual))}")
    if f.path:
        evidence.append(f"at {code_span(f.path)}")
    lines.append("  " + ", ".join(evidence) + ".")
    summary_text, _, manual = f.remediation.partition("\n")
    if summary_text:
        lines.append(f"  Fix: {_md(summary_text)}")
    commands = [line.strip() for line in manual.splitlines() if line.strip()]
    if commands:
        lines += ["", *("  " + line for line in code_block(commands))]
    lines.append("")
    return lines


def _other_row(f: Finding, keys: set[str] | None) -> str:
    label = _ICON[f.status]
    detail = f.message
    if f.status is Status.SUPPRESSED:
        why = suppression_text(f.suppression, cite_source=True, reason_required=True)
        detail += f" \u2014 {why}"
    return (
        f"| {code_span(f.rule_id)} | {f.severity.label} | {label} | "
        f"{_md(short_name(f.resource_id))} | {_md(detail)} |"
    )


def _workspace_details(
    row: overview.WorkspaceLine,
    findings: list[Finding],
    rules: dict[str, Any],
    keys: set[str] | None,
    verbose: bool,
) -> list[str]:
    failing = sorted(
        (f for f in findings if f.status is Status.FAIL),
        key=lambda f: (-f.severity, f.rule_id, f.resource_id.lower()),
    )
    others = sorted(
        (
            f
            for f in findings
            if f.status is not Status.FAIL and (verbose or f.status is not Status.PASS)
        ),
        key=lambda f: (_ORDER[f.status], -f.severity, f.rule_id, f.resource_id.lower()),
    )
    if not failing and not others:
        return []
    lines = [f"### {_md(row.name)}", "", f"{code_span(row.id)}", ""]
    for f in failing:
        lines += _failure(f, rules, keys)
    if others:
        lines += ["| rule | severity | status | resource | finding |", "|---|---|---|---|---|"]
        lines += [_other_row(f, keys) for f in others]
        lines.append("")
    return lines


@register
class MarkdownReport(Report):
    """A summary a reviewer reads in a pull request or a CI run page."""

    name = "markdown"
    suffix = ".md"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        keys = overview.new_keys(options.extra)
        rows = overview.lines(result, keys)
        out = "\n".join(_headline(result, options, rows) + _baseline(result)) + "\n"
        if not result.instances:
            return out + "No Azure Machine Learning workspace found in the scanned estate.\n"
        budget = MAX_CHARS - _NOTE_ROOM
        table = [
            "### Workspaces, worst first",
            "",
            *_overview_rows(rows, overview.tracks_new(result, options.extra)),
            "",
        ]
        kept = 0
        for line in table:
            if len(out) + len(line) + 1 > budget:
                return (
                    out
                    + "\n"
                    + _note(
                        f"the overview stops after {max(kept - 2, 0)} of {len(rows)} workspaces"
                    )
                )
            out += line + "\n"
            kept += line.startswith("| ") and not line.startswith("| |")
        by_instance: dict[str, list[Finding]] = defaultdict(list)
        for f in result.findings:
            by_instance[ids.norm(f.instance)].append(f)
        rules = overview.rule_index(result)
        for i, row in enumerate(rows):
            section = _workspace_details(
                row, by_instance[ids.norm(row.id)], rules, keys, options.verbose
            )
            text = "\n".join(section) + "\n" if section else ""
            if len(out) + len(text) > budget:
                left = sum(1 for r in rows[i:] if r.failing or r.errors or options.verbose)
                return out + "\n" + _note(f"the details of {left} workspace(s) are left out")
            out += text
        return out


def _note(what: str) -> str:
    return (
        f"> [!NOTE]\n> **Truncated**: {what} to stay under {MAX_CHARS:,} characters "
        "(GitHub's limit for step summaries and comments). The JSON, SARIF or JUnit report has "
        "every finding.\n"
    )
