"""The JSON report's shipped schema: the real output of every example estate validates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from amlguard import app
from amlguard.reports.json_report import SCHEMA_VERSION
from amlguard.scanner.sources.snapshot import write_snapshot
from amlguard.scanner.yamlsource import schema
from amlguard.settings import CheckSettings, Outputs, OutputTarget
from tests.builders import blueprint
from tests.conftest import EXAMPLES


def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema("findings.schema.json"))


def _json_report(*snapshots: Path) -> dict[str, Any]:
    settings = CheckSettings(
        snapshots=snapshots,
        outputs=Outputs("json", (OutputTarget("json", None),), verbose=True),
    )
    doc: dict[str, Any] = json.loads(app.run_check(settings).stdout)
    return doc


def _problems(doc: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(doc)
    ]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(schema("findings.schema.json"))
    assert schema("findings.schema.json")["$schema"].endswith("/draft/2020-12/schema")


@pytest.mark.parametrize("estate", ["compliant.json", "drifted.json", "multi-workspace.json"])
def test_example_estate_report_validates(estate: str) -> None:
    doc = _json_report(EXAMPLES / estate)
    assert _problems(doc) == []
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["summary"]["findings"] == len(doc["findings"]) > 0


def test_report_with_errors_and_gaps_validates(tmp_path: Path) -> None:
    inst = blueprint()
    snap = tmp_path / "gapped.json"
    gap = {"reason": "Resource Graph denied access", "scope": inst.sub}
    write_snapshot(snap, inst.rows(), {"gaps": [gap]})
    doc = _json_report(snap)
    assert _problems(doc) == []
    assert doc["source"]["complete"] is False
    assert doc["source"]["gaps"] == [gap]
    assert doc["summary"]["by_status"]["error"] == len(doc["findings"])


def test_report_with_missing_associated_resource_validates(tmp_path: Path) -> None:
    inst = blueprint()
    rows = [r for r in inst.rows() if r["id"] != inst.storage["id"]]
    snap = tmp_path / "missing.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    doc = _json_report(snap)
    assert _problems(doc) == []
    errors = [f for f in doc["findings"] if f["status"] == "error"]
    assert errors and all(f["remediation"] for f in errors)


def _minimal_doc() -> dict[str, Any]:
    return _json_report(EXAMPLES / "drifted.json")


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["findings"][0].update(status="failed"), "findings/0/status"),
        (lambda d: d["findings"][0].update(severity="urgent"), "findings/0/severity"),
        (lambda d: d["findings"][0].update(extra=1), "findings/0"),
        (lambda d: d["findings"][0].pop("actual"), "findings/0"),
        (lambda d: d.update(unexpected=True), ""),
        (lambda d: d["summary"]["by_status"].pop("skipped"), "summary/by_status"),
        (lambda d: d["rule_pack"].update(hash="md5:abc"), "rule_pack/hash"),
        (lambda d: d["source"].update(complete=False), "source/gaps"),
        (lambda d: d.update(scan_time="yesterday"), "scan_time"),
    ],
)
def test_schema_rejects_a_broken_document(mutate: Any, where: str) -> None:
    doc = _minimal_doc()
    mutate(doc)
    problems = _problems(doc)
    assert problems, "the schema accepted a broken document"
    assert any(p.startswith(where) for p in problems), problems


def test_failing_finding_without_remediation_is_rejected() -> None:
    doc = _minimal_doc()
    failing = next(f for f in doc["findings"] if f["status"] == "fail")
    failing["remediation"] = ""
    assert _problems(doc)
