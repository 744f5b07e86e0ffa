"""The fleet overview, compact and failed-only console modes, NEW markers from history in every
format, and hostile resource data neutralised in the console (also in ``console:`` files)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from amlguard import app
from amlguard.cli import cli
from amlguard.history.gate import record_scan
from amlguard.reports import overview
from amlguard.reports.html import report_data
from amlguard.reports.interface import ReportOptions
from amlguard.reports.safe import terminal
from amlguard.scanner.model import ScanResult, Status
from amlguard.scanner.yamlsource import schema
from tests.builders import blueprint
from tests.history.scans import scan
from tests.make_examples import compliant, drifted
from tests.reports.conftest import scan as scan_estate


def _fleet(tmp_path: Path) -> ScanResult:
    rows: list[dict] = []  # type: ignore[type-arg]
    for i in range(6):
        inst = blueprint(rg=f"rg-{i}", prefix=f"ws{i}")
        if i in (1, 4):
            inst.storage["properties"]["publicNetworkAccess"] = "Enabled"  # high
        if i == 4:
            inst.workspace["properties"]["publicNetworkAccess"] = "Enabled"  # high, one more
        if i == 2:
            inst.storage["tags"] = {"x": "y"}
        rows += inst.rows()
    return scan(tmp_path, rows)


def test_lines_are_worst_first_and_the_headline_counts_workspaces(tmp_path: Path) -> None:
    rows = overview.lines(_fleet(tmp_path))
    assert [r.name for r in rows[:2]] == ["ws4-mlw", "ws1-mlw"]  # more failures first
    assert [r.failing for r in rows[:2]] == [2, 1] and all(r.failing == 0 for r in rows[2:])
    assert overview.headline(rows) == "2 of 6 workspaces drifted: 2 with high failures."
    assert rows[0].resource_group == "rg-4" and rows[0].subscription


def test_compact_prints_the_overview_and_one_line_per_failure(tmp_path: Path) -> None:
    result = _fleet(tmp_path)
    text = app.render(result, "console", ReportOptions(compact=True, width=100))
    fails = [f for f in result.findings if f.status is Status.FAIL]
    lines = [ln for ln in text.splitlines() if ln.startswith("FAIL ")]
    assert len(lines) == len(fails) == 3
    assert all(re.match(r"FAIL high\s+AMLG-\d+  ws\d-mlw", ln) for ln in lines)
    assert "expected" not in text and "$ az" not in text  # no detail blocks
    # --failed-only: the clean workspaces leave the overview too.
    short = app.render(result, "console", ReportOptions(failed_only=True, width=100))
    assert "ws0-mlw" not in short and "ws4-mlw" in short and "ws1-mlw" in short
    assert "2 of 6 workspaces drifted" in short  # the headline still counts them all
    # The same through ReportOptions.extra (how a flag may reach a report).
    assert app.render(result, "console", ReportOptions(extra={"failed_only": True}, width=100)) == (
        app.render(result, "console", ReportOptions(failed_only=True, width=100))
    )


def _two_scans(tmp_path: Path) -> tuple[ScanResult, ReportOptions]:
    db = tmp_path / "h.db"
    record_scan(db, scan(tmp_path, compliant(), when="2026-03-01T02:00:00Z"))
    result = scan(tmp_path, drifted(), when="2026-03-02T02:00:00Z")
    recorded = record_scan(db, result)
    return result, ReportOptions(extra=recorded.report_extra())


def test_every_format_marks_new_failures(tmp_path: Path) -> None:
    result, options = _two_scans(tmp_path)
    fails = sum(f.status is Status.FAIL for f in result.findings)
    assert fails == 12
    console = app.render(result, "console", dataclasses.replace(options, width=100))
    assert len(re.findall(r"^  FAIL AMLG-\d+ \w+ NEW ", console, re.M)) == fails
    assert "1 of 1 workspace drifted: 1 with high failures; 1 with new failures." in console
    markdown = app.render(result, "markdown", options)
    assert markdown.count("\U0001f195 NEW") == fails
    doc = json.loads(app.render(result, "json", options))
    Draft202012Validator(schema("findings.schema.json")).validate(doc)
    assert doc["schema_version"] == "2.0"
    assert sum(f.get("new") is True for f in doc["findings"]) == fails
    assert all(f["new"] is False for f in doc["findings"] if f["status"] != "fail")
    data = report_data(result, options)
    assert sum(1 for f in data["f"] if len(f) > 11 and f[11] == 1) == fails
    assert data["ws"][0][8] == fails


HOSTILE = "ws\x1b[2J\x1b]8;;https://evil\x07click\x1b]8;;\x07\r\nPASSED: all good\u202e"


def test_console_never_passes_terminal_escapes_through(tmp_path: Path) -> None:
    rows = drifted()
    for r in rows:
        r.setdefault("tags", {})["owner"] = HOSTILE
        if r["type"] == "microsoft.machinelearningservices/workspaces":
            r["name"] = HOSTILE
    estate = tmp_path / "estate.json"
    estate.write_text(json.dumps(rows), encoding="utf-8")
    out = tmp_path / "report.txt"
    res = CliRunner().invoke(
        cli,
        ["check", "--snapshot", str(estate), "--output", f"console:{out}", "--format", "console"],
    )
    assert res.exit_code in (1, 3), res.output
    for text in (res.output, out.read_text(encoding="utf-8")):
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text
        assert "\u202e" not in text
        assert not re.search(r"^PASSED: all good", text, re.M)  # no line of its own
        assert "\\x1b[2J" in text  # shown, visibly


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text())
def test_terminal_text_has_no_control_characters(value: str) -> None:
    out = terminal(value)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert terminal(value, keep_newlines=True).count("\n") == value.count("\n")


def test_the_multi_workspace_overview_matches_in_every_format() -> None:
    result = scan_estate("multi-workspace.json")
    order = [r.name for r in overview.lines(result)]
    assert order == ["mlresearch-mlw", "mlemea-mlw", "mlprod-mlw"]
    console = app.render(result, "console", ReportOptions(width=120))
    markdown = app.render(result, "markdown", ReportOptions())
    html = app.render(result, "html", ReportOptions())
    for text in (console, markdown):
        assert [text.index(n) for n in order] == sorted(text.index(n) for n in order)
    assert re.findall(r'data-name="([^"]+)"', html) == order
