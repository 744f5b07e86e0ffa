"""Markdown: verdict and fleet overview first, each failure once with its rule's documentation
link and command block, hostile names neutralised, never over GitHub's limit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.reports.markdown import MAX_CHARS
from amlguard.reports.safe import code_block, markdown
from amlguard.scanner.model import ScanResult, Status
from amlguard.suppressions import Suppression, apply_suppressions
from tests.reports.conftest import scan


def test_verdict_then_overview_then_each_failure_once() -> None:
    result = scan("multi-workspace.json")
    text = app.render(result, "markdown", ReportOptions())
    assert text.startswith("## \u274c amlguard: FAILED: ")
    assert "**2 of 3 workspaces drifted: 2 with high failures.**" in text
    overview = text.index("### Workspaces, worst first")
    rows = re.findall(r"^\| \S+ \| ([a-z-]+) \| (\w+|-) \| (\d+) \|", text, re.M)
    assert [r[0] for r in rows] == ["mlresearch-mlw", "mlemea-mlw", "mlprod-mlw"]
    assert overview < text.index("### mlresearch-mlw") < text.index("### mlemea-mlw")
    failing = [f for f in result.findings if f.status is Status.FAIL]
    for f in failing:
        link = f"[`{f.rule_id}`](https://github.com/amlguard/amlguard/blob/main/docs/rules/{f.rule_id}.md)"
        assert text.count(link) == 1, f.rule_id  # each failure once, linked
    assert text.count("```sh\n") == len(failing)
    assert "### mlprod-mlw" not in text  # nothing to show for the clean workspace


def test_compliant_estate_passes_and_lists_no_rows() -> None:
    text = app.render(scan("compliant.json"), "markdown", ReportOptions())
    assert text.startswith("## \u2705 amlguard: PASSED")
    assert "**0 of 1 workspace drifted.**" in text
    assert "```" not in text and "| rule |" not in text


def test_verbose_lists_passing_findings_too() -> None:
    result = scan("compliant.json")
    text = app.render(result, "markdown", ReportOptions(verbose=True))
    assert text.count("\u2705 pass") == result.counts()["pass"]


def test_suppressed_row_shows_its_reason() -> None:
    result = scan("drifted.json")
    rule = Suppression("AMLG-222", "*", "vendor | access", dt.date(2026, 3, 1), "ops")
    result.findings = apply_suppressions(result.findings, [rule], dt.date(2026, 1, 1)).findings
    text = app.render(result, "markdown", ReportOptions())
    row = next(line for line in text.splitlines() if line.startswith("| `AMLG-222`"))
    assert "suppressed" in row
    assert "vendor \\| access (expires 2026-03-01; approved by ops)" in row  # pipe escaped


def test_new_failures_are_marked_and_known_ones_are_not_suppressed() -> None:
    result = scan("drifted.json")
    fails = [i for i, f in enumerate(result.findings) if f.status is Status.FAIL]
    result.findings[fails[0]] = replace(result.findings[fails[0]], baseline_state="new")
    known = replace(
        result.findings[fails[1]],
        status=Status.KNOWN,
        baseline_state="known",
        suppression={"kind": "baseline", "reason": "known finding"},
    )
    result.findings[fails[1]] = known
    text = app.render(result, "markdown", ReportOptions())
    assert text.count("\U0001f195 NEW") == 1
    row = next(line for line in text.splitlines() if "\U0001f4cc known" in line)
    assert row.startswith(f"| `{known.rule_id}`") and "suppressed" not in row


def _hostile(result: ScanResult, name: str) -> ScanResult:
    inst = result.instances[0]
    result.instances[0] = replace(inst, workspace={**inst.workspace, "name": name})
    result.findings = [
        dataclasses.replace(
            f,
            message=f"Workspace {name} is public.",
            remediation=f"Disable it.\naz ml workspace update --name {name}",
        )
        for f in result.findings
    ]
    return result


HOSTILE = (
    "evil\n```\n<img src=x onerror=alert(1)>[click](https://evil.example) "
    "![p](https://evil.example/p.png) @admin <script>x</script>\x1b[31m\u202e"
)


def test_hostile_names_are_shown_not_interpreted() -> None:
    text = app.render(_hostile(scan("drifted.json"), HOSTILE), "markdown", ReportOptions())
    assert "\x1b" not in text and "\u202e" not in text
    # Inside a fenced block nothing is interpreted; outside, nothing may be.
    blocks = re.findall(r"^  (`{3,})sh\n(.*?)\n  \1$", text, re.M | re.S)
    assert blocks
    for fence, body in blocks:
        assert f"\n  {fence}\n" not in body  # never closed early
    prose = re.sub(r"^  (`{3,})sh\n.*?\n  \1$", "", text, flags=re.M | re.S)
    assert "<img" not in prose and "<script" not in prose
    assert "](https://evil" not in prose and "[click]" not in prose
    assert "@admin" not in prose


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_stays_literal(value: str) -> None:
    out = markdown(value)
    assert "\n" not in out and "<" not in out and "@" + "a" not in out.replace("@&#8203;", "")
    assert not re.search(r"(?<!\\)\[", out)  # no unescaped bracket: no link, no image
    fence, *body, close = code_block([value, value])
    assert fence[:-2] == close and all(fence[:-2] not in line for line in body)


def test_huge_report_is_truncated_under_the_limit_overview_kept() -> None:
    result = scan("multi-workspace.json")
    template = result.instances[1]
    instances = []
    findings = []
    for i in range(400):
        workspace = {**template.workspace, "name": f"{template.name}-{i}"}
        inst = replace(template, id=f"{template.id}-{i}", workspace=workspace)
        instances.append(inst)
        findings += [
            replace(f, instance=inst.id, status=Status.FAIL, resource_id=f"{f.resource_id}-{i}")
            for f in result.findings
            if f.instance == template.id
        ]
    result.instances, result.findings = instances, findings
    text = app.render(result, "markdown", ReportOptions())
    assert len(text) < MAX_CHARS
    assert "**Truncated**: the details of" in text
    assert text.count("```sh\n") * 2 == text.count("```")  # never cut mid-block
    assert all(f"| {template.name}-{i} |" in text for i in range(400))  # overview whole
