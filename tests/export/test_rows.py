"""Rows: one per finding plus a scan row, valid against the shipped schema, never a reserved name."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.export.rows import COLUMNS, RESERVED, build_rows, encode_rows, valid_column_name
from amlguard.export.values import FIELD_LIMIT, TRUNCATED, truncate
from amlguard.history.gate import record_scan
from amlguard.scanner.model import Gap, Status
from tests.export.helpers import ESTATES, ROOT, report_findings, scan_result

SCHEMA = json.loads(
    (ROOT / "amlguard" / "policies" / "schemas" / "loganalytics-row.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_schema_and_columns_agree() -> None:
    assert list(SCHEMA["properties"]) == list(COLUMNS)
    assert {n: p["x-log-analytics-type"] for n, p in SCHEMA["properties"].items()} == COLUMNS
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_no_column_name_is_reserved_or_invalid() -> None:
    for name in COLUMNS:
        assert valid_column_name(name), name
        assert name.lower() not in RESERVED
        assert not name.startswith("_")
    assert not valid_column_name("id") and not valid_column_name("TenantId")


@pytest.mark.parametrize("estate", ESTATES, ids=lambda p: p.name)
def test_every_finding_has_one_valid_row(estate: Path) -> None:
    result = scan_result(estate)
    rows = list(build_rows(result))
    for row in rows:
        VALIDATOR.validate(row)
        assert not {k.lower() for k in row} & RESERVED
    scan, findings = rows[0], rows[1:]
    assert scan["RowType"] == "scan" and scan["Counts"]["findings"] == len(result.findings)
    assert len({r["ScanId"] for r in rows}) == 1
    assert [r["RowNumber"] for r in rows] == list(range(len(rows)))
    report = report_findings(result)
    assert len(findings) == len(report)
    for row, finding in zip(findings, report, strict=True):
        assert (row["RuleId"], row["ResourceId"], row["InstanceId"], row["Status"]) == (
            finding["rule_id"],
            finding["resource_id"],
            finding["instance"],
            finding["status"],
        )
        assert row["Message"] == finding["message"]
        assert row.get("Actual") == finding["actual"]
        assert row["SubscriptionId"] and row["SubscriptionId"].lower() in row["ResourceId"].lower()
    statuses = {r["Status"] for r in findings}
    assert "pass" in statuses  # passing findings are sent too


def test_incomplete_scan_says_so_with_its_causes() -> None:
    result = scan_result(ROOT / "examples" / "estates" / "drifted.json")
    result.source.gaps.append(Gap("Resource Graph throttled", "subscription 1234"))
    rows = list(build_rows(result))
    assert all(r["ScanComplete"] is False for r in rows)
    assert rows[0]["GapCauses"] == [
        {"reason": "Resource Graph throttled", "scope": "subscription 1234"}
    ]


def test_an_error_finding_makes_the_scan_incomplete() -> None:
    result = scan_result(ROOT / "examples" / "estates" / "compliant.json")
    assert next(iter(build_rows(result)))["ScanComplete"] is True
    result.findings[0] = dataclasses.replace(result.findings[0], status=Status.ERROR)
    assert next(iter(build_rows(result)))["ScanComplete"] is False


def test_history_marks_new_and_known_failures(tmp_path: Path) -> None:
    estate = ROOT / "examples" / "estates" / "drifted.json"
    first = scan_result(estate)
    first.scan_time = "2026-01-01T00:00:00Z"
    record_scan(tmp_path / "h.db", first, "fleet")
    second = scan_result(estate)
    second.scan_time = "2026-01-02T00:00:00Z"
    # the same failures again: all known since the first scan, none new
    recorded = record_scan(tmp_path / "h.db", second, "fleet")
    rows = list(build_rows(second, history=recorded))
    failing = [r for r in rows[1:] if r["Status"] == "fail"]
    assert failing and all(r["HistoryState"] == "known" for r in failing)
    assert all(r["FirstSeen"] == "2026-01-01T00:00:00Z" for r in failing)
    assert all("HistoryState" not in r for r in rows[1:] if r["Status"] == "pass")
    assert rows[0]["Scope"] == "fleet" and rows[0]["Counts"]["history"]["new"] == 0
    fresh = record_scan(tmp_path / "other.db", second, "fleet")
    rows = list(build_rows(second, history=fresh))
    assert {r["HistoryState"] for r in rows[1:] if r["Status"] == "fail"} == {"new"}
    for row in rows:
        VALIDATOR.validate(row)


def test_hostile_and_huge_values_are_neutralised_and_truncated() -> None:
    result = scan_result(ROOT / "examples" / "estates" / "drifted.json")
    evil = "ok\x1b[31mred\u202eevil\x00" + "x" * (FIELD_LIMIT * 2)
    result.findings[0] = dataclasses.replace(
        result.findings[0], message=evil, actual={"k": "v" * (FIELD_LIMIT * 2)}
    )
    row = list(build_rows(result))[1]
    VALIDATOR.validate(row)
    assert "\x1b" not in row["Message"] and "\u202e" not in row["Message"]
    assert "\x00" not in row["Message"]
    assert row["Message"].endswith(TRUNCATED)
    assert len(row["Message"].encode()) <= FIELD_LIMIT
    assert isinstance(row["Actual"], str) and row["Actual"].endswith(TRUNCATED)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=40, max_value=200))
def test_truncate_bounds_bytes_and_keeps_short_text(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert out == text or len(out.encode("utf-8")) <= limit
    if len(text.encode("utf-8")) <= limit:
        assert out == text
    else:
        assert out.endswith(TRUNCATED) and text.startswith(out[: -len(TRUNCATED)])


@pytest.mark.parametrize("estate", ESTATES, ids=lambda p: p.name)
def test_the_encoded_rows_are_the_built_rows(estate: Path, tmp_path: Path) -> None:
    result = scan_result(estate)
    result.findings[0] = dataclasses.replace(
        result.findings[0],
        message="bell\x07" + "é" * 40_000,
        expected=[1, "two", None],
        actual={"nested": ["\u202e", 2.5, True]},
        path="properties.x",
        suppression={"reason": "because", "expires": "2030-01-01"},
        baseline_state="known",
    )
    recorded = record_scan(tmp_path / "h.db", result, "scope")
    for history in (None, recorded):
        built = list(build_rows(result, history=history, scan_id="fixed"))
        encoded = [json.loads(t) for t in encode_rows(result, history=history, scan_id="fixed")]
        assert encoded == built
        assert built[1]["Suppression"] == {"reason": "because", "expires": "2030-01-01"}
