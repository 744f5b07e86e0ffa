"""Markdown: verdict first, a table per workspace, details folded, never over GitHub's limit."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.reports.markdown import MAX_CHARS
from amlguard.scanner.model import Status
from amlguard.suppressions import Suppression, apply_suppressions
from tests.reports.conftest import scan


def test_headline_verdict_table_per_instance_and_folded_failures() -> None:
    result = scan("multi-workspace.json")
    text = app.render(result, "markdown", ReportOptions())
    assert text.startswith("## \u274c amlguard: FAILED: ")
    for inst in result.instances:
        assert f"### {inst.name}\n" in text
    failing = [f for f in result.findings if f.status is Status.FAIL]
    assert text.count("<details><summary>") == len(failing)
    assert text.count("</details>") == len(failing)
    assert "| rule | severity | status | resource | finding |" in text


def test_compliant_estate_passes_and_lists_no_rows() -> None:
    text = app.render(scan("compliant.json"), "markdown", ReportOptions())
    assert text.startswith("## \u2705 amlguard: PASSED")
    assert "<details>" not in text and "| rule |" not in text


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


def test_huge_report_is_truncated_under_the_limit_with_a_note() -> None:
    result = scan("multi-workspace.json")
    template = result.instances[0]
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
    assert "**Truncated**" in text
    assert text.count("<details><summary>") == text.count("</details>")  # never cut mid-block
