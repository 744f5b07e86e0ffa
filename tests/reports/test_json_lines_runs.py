"""Lines kept ahead as the texts of consecutive runs of findings (this process's share, then
each worker's, as they came in) give the report written at render time, byte for byte."""

from __future__ import annotations

import dataclasses
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import app
from amlguard.reports import json_lines, json_report
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import Finding
from tests.reports.test_json_report import EMPTY, _findings, reference


@settings(derandomize=True, max_examples=80, deadline=None)
@given(findings=_findings, data=st.data())
def test_lines_kept_in_runs_render_byte_identical(
    findings: list[Finding], data: st.DataObject
) -> None:
    result = dataclasses.replace(EMPTY, findings=findings)
    facts = json_report.rule_facts(result)
    count = data.draw(st.integers(0, len(findings)))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, count - 1)), max_size=3)))
    bounds = [0, *[c for c in cuts if 0 < c < count], count]
    try:
        texts = [
            json_report.lines_text(findings[a:b], facts) for a, b in itertools.pairwise(bounds)
        ]
    except TypeError:  # what the report itself raises on such a finding
        return
    json_lines.keep(findings, count, texts, facts)
    kept = json_lines._ahead
    assert (kept is not None) == (count > 0)
    if kept is not None:
        assert kept.text == json_report.lines_text(findings[:count], facts)
    replaced = data.draw(st.sets(st.integers(0, max(0, count - 1)), max_size=3))
    shown = [dataclasses.replace(f) if i in replaced else f for i, f in enumerate(findings)]
    result = dataclasses.replace(result, findings=shown)
    try:
        assert app.render(result, "json", ReportOptions()) == reference(result)
    finally:
        json_lines.forget()


def test_an_empty_run_keeps_nothing() -> None:
    """A run's text that is empty cannot be the lines of one finding or more: nothing is kept
    (the report writes every line itself)."""
    json_lines.keep(EMPTY.findings, 2, ["x", ""], {})
    assert json_lines._ahead is None
