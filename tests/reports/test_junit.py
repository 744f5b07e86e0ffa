"""JUnit: valid against both schemas, and a real consumer reads back our counts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import Status
from amlguard.settings import CheckSettings
from amlguard.suppressions import Suppression, apply_suppressions
from tests.builders import blueprint
from tests.reports import golden
from tests.reports.conftest import SCHEMAS, scan

XSDS = ("junit-10.xsd", "JUnit.xsd")


@cache
def _schema(name: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / name))


@pytest.mark.parametrize("xsd", XSDS)
def test_every_case_validates_against_both_junit_schemas(
    case: str, xsd: str, tmp_path: Path
) -> None:
    text = golden.render_case(case, "junit", tmp_path)
    errors = list(_schema(xsd).iter_errors(text))
    assert errors == [], f"{case} against {xsd}: {errors[:1]}"


def _parse(text: str, tmp_path: Path) -> JUnitXml:
    path = tmp_path / "report.xml"
    path.write_text(text, encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def test_junitparser_reads_back_the_same_counts(case: str, tmp_path: Path) -> None:
    text = golden.render_case(case, "junit", tmp_path)
    result, _ = golden._scan(case, tmp_path)
    counts = result.counts()
    xml = _parse(text, tmp_path)
    suites = list(xml)
    assert sum(s.tests for s in suites) == len(result.findings)
    assert sum(s.failures for s in suites) == counts["fail"]
    assert sum(s.errors for s in suites) == counts["error"]
    assert (
        sum(s.skipped for s in suites) == counts["suppressed"] + counts["skipped"] + counts["known"]
    )
    # ...and the per-case results agree with the suite attributes.
    kinds = [type(r) for s in suites for c in s for r in c.result]
    assert kinds.count(Failure) == counts["fail"]
    assert kinds.count(Skipped) == counts["suppressed"] + counts["skipped"] + counts["known"]


def test_shape_one_suite_per_rule_one_case_per_finding(tmp_path: Path) -> None:
    result = scan("drifted.json")
    xml = _parse(app.render(result, "junit", ReportOptions()), tmp_path)
    names = [s.name for s in xml]
    assert names[:-1] == [f"{r.id} {r.name}" for r in result.rules]
    assert names[-1] == "amlguard scan"
    suite = next(s for s in xml if s.name.startswith("AMLG-101 "))
    (case_,) = list(suite)
    assert case_.name == "[HIGH] AMLG-101 blueprint-dev-mlw"
    assert case_.classname == "blueprint-dev-mlw"
    (failure,) = case_.result
    assert isinstance(failure, Failure)
    assert failure.message.startswith("Workspace blueprint-dev-mlw is reachable")
    assert "expected: Disabled" in failure.text
    assert "actual:   Enabled" in failure.text
    assert "path:     properties.publicNetworkAccess" in failure.text
    assert "az ml workspace update" in failure.text


def test_suppressed_finding_is_skipped_with_its_reason(tmp_path: Path) -> None:
    result = scan("drifted.json")
    rule = Suppression("AMLG-222", "*", "vendor access until March", dt.date(2026, 3, 1), "ops")
    result.findings = apply_suppressions(result.findings, [rule], dt.date(2026, 1, 1)).findings
    xml = _parse(app.render(result, "junit", ReportOptions()), tmp_path)
    suite = next(s for s in xml if s.name.startswith("AMLG-222 "))
    (skipped,) = next(iter(suite)).result
    assert isinstance(skipped, Skipped)
    assert (
        skipped.message
        == "suppressed: vendor access until March (expires 2026-03-01; approved by ops)"
    )


def test_unjudged_finding_is_an_error_testcase(tmp_path: Path) -> None:
    inst = blueprint("11111111-2222-4333-8444-555555555555", "rg-err", "err", "westeurope")
    rows = [r for r in inst.rows() if r["id"] != inst.storage["id"]]  # linked but not scanned
    estate = tmp_path / "estate.json"
    estate.write_text(json.dumps(rows), encoding="utf-8")
    result = app.prepare_scan(CheckSettings(snapshots=(estate,))).result
    assert result.counts()["error"] >= 1
    text = app.render(result, "junit", ReportOptions())
    for xsd in XSDS:
        assert list(_schema(xsd).iter_errors(text)) == []
    xml = _parse(text, tmp_path)
    errors = [r for s in xml for c in s for r in c.result if isinstance(r, Error)]
    assert len(errors) == sum(f.status is Status.ERROR for f in result.findings)


def test_control_characters_never_break_the_xml(tmp_path: Path) -> None:
    result = scan("drifted.json")
    result.findings = [
        replace(f, message=f.message + "\x00\x1b[31m bell\x07") for f in result.findings
    ]
    text = app.render(result, "junit", ReportOptions())
    for xsd in XSDS:
        assert list(_schema(xsd).iter_errors(text)) == []
    assert "\x1b" not in text
