"""SARIF: valid 2.1.0, GitHub's required fields, stable and distinct fingerprints, real lines."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.reports.sarif import fingerprint
from amlguard.suppressions import Suppression, apply_suppressions
from tests.reports import golden
from tests.reports.conftest import SCHEMAS, options, scan

DRIFTED = golden.ESTATES / "drifted.json"


@cache
def _validator() -> Any:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def _doc(result: Any, opts: ReportOptions | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(app.render(result, "sarif", opts or options(DRIFTED)))
    return doc


def test_every_case_validates_against_the_sarif_schema(case: str, tmp_path: Path) -> None:
    doc = json.loads(golden.render_case(case, "sarif", tmp_path))
    errors = [e.message for e in _validator().iter_errors(doc)]
    assert errors == []


def test_github_required_properties_are_present_and_non_empty() -> None:
    result = scan("drifted.json")
    doc = _doc(result)
    assert doc["$schema"] and doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "amlguard"
    assert [r["id"] for r in driver["rules"]] == [r.id for r in result.rules]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and len(rule["shortDescription"]["text"]) <= 1024
        assert rule["fullDescription"]["text"] and len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["helpUri"].startswith("https://")
        assert 0.1 <= float(rule["properties"]["security-severity"]) <= 10.0
        assert len(rule["properties"]["tags"]) <= 20
    assert len(run["results"]) == result.counts()["fail"]
    for res in run["results"]:
        assert res["ruleId"] == driver["rules"][res["ruleIndex"]]["id"]
        assert res["message"]["text"].split("\n")[0].endswith(".")
        region = res["locations"][0]["physicalLocation"]["region"]
        assert all(region[k] >= 1 for k in ("startLine", "startColumn", "endLine", "endColumn"))
        assert res["partialFingerprints"]["primaryLocationLineHash"]


def test_security_severity_maps_to_githubs_bands() -> None:
    rules = {r["id"]: r for r in _doc(scan("drifted.json"))["runs"][0]["tool"]["driver"]["rules"]}
    assert float(rules["AMLG-101"]["properties"]["security-severity"]) >= 7.0  # high
    assert 4.0 <= float(rules["AMLG-103"]["properties"]["security-severity"]) < 7.0  # medium


def test_fingerprints_are_identical_across_two_runs() -> None:
    first = _doc(scan("multi-workspace.json"))["runs"][0]["results"]
    second = _doc(scan("multi-workspace.json"))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in second]


def test_fingerprints_are_distinct_per_resource_although_the_location_is_shared() -> None:
    results = _doc(scan("multi-workspace.json"))["runs"][0]["results"]
    keys = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].lower())
        for r in results
    }
    prints = {r["partialFingerprints"]["primaryLocationLineHash"] for r in results}
    assert len(prints) == len(keys) == len(results)


def test_fingerprint_ignores_resource_id_case_only() -> None:
    rid = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/st"
    assert fingerprint("AMLG-201", rid) == fingerprint("AMLG-201", rid.lower())
    assert fingerprint("AMLG-201", rid) != fingerprint("AMLG-202", rid)
    assert fingerprint("AMLG-201", rid) != fingerprint("AMLG-201", rid + "2")


def test_location_is_the_line_of_the_resource_in_the_snapshot() -> None:
    lines = DRIFTED.read_text(encoding="utf-8").splitlines()
    for res in _doc(scan("drifted.json"))["runs"][0]["results"]:
        loc = res["locations"][0]
        assert loc["physicalLocation"]["artifactLocation"]["uri"] == "examples/estates/drifted.json"
        line = lines[loc["physicalLocation"]["region"]["startLine"] - 1]
        rid = loc["logicalLocations"][0]["fullyQualifiedName"]
        assert f'"id": "{rid}"' in line


def test_sarif_artifact_points_at_the_named_file_and_the_resource_name(tmp_path: Path) -> None:
    bicep = tmp_path / "infra" / "main.bicep"
    bicep.parent.mkdir()
    bicep.write_text(
        "param location string\n\nresource ws 'Microsoft.MachineLearningServices/workspaces@2024-10-01' = {\n"
        "  name: 'blueprint-dev-mlw'\n}\n",
        encoding="utf-8",
    )
    opts = ReportOptions(extra={"artifacts": [str(bicep)], "root": str(tmp_path)})
    results = _doc(scan("drifted.json"), opts)["runs"][0]["results"]
    ws = next(r for r in results if r["ruleId"] == "AMLG-101")
    phys = ws["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "infra/main.bicep", "uriBaseId": "%SRCROOT%"}
    assert phys["region"]["startLine"] == 4
    storage = next(r for r in results if r["ruleId"] == "AMLG-201")  # not in the file: line 1
    assert storage["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_cli_sarif_artifact_flag_reaches_the_report(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from amlguard.cli import cli

    artifact = tmp_path / "main.bicep"
    artifact.write_text("// nothing\n", encoding="utf-8")
    out = tmp_path / "r.sarif"
    args = ["check", "--snapshot", str(DRIFTED), "--sarif-artifact", str(artifact)]
    res = CliRunner().invoke(cli, [*args, "--output", f"sarif:{out}", "--format", "json"])
    assert res.exit_code == 1, res.output
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    }
    assert len(uris) == 1 and uris.pop().endswith("main.bicep")


def test_suppressed_result_carries_a_sarif_suppression_with_the_reason() -> None:
    result = scan("drifted.json")
    rule = Suppression("AMLG-222", "*", "vendor access", dt.date(2026, 3, 1))
    result.findings = apply_suppressions(result.findings, [rule], dt.date(2026, 1, 1)).findings
    results = _doc(result)["runs"][0]["results"]
    acr = next(r for r in results if r["ruleId"] == "AMLG-222")
    assert acr["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "vendor access (expires 2026-03-01)",
        }
    ]
    assert all("suppressions" not in r for r in results if r["ruleId"] != "AMLG-222")


@pytest.mark.parametrize("estate", ["compliant.json"])
def test_clean_estate_has_rules_and_no_results(estate: str) -> None:
    (run,) = _doc(scan(estate))["runs"]
    assert run["results"] == [] and run["tool"]["driver"]["rules"]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_baseline_known_results_stay_open_and_are_marked_unchanged(tmp_path: Path) -> None:
    doc = json.loads(golden.render_case("drifted-gated", "sarif", tmp_path))
    results = doc["runs"][0]["results"]
    known = [r for r in results if r.get("baselineState") == "unchanged"]
    new = [r for r in results if r.get("baselineState") == "new"]
    accepted = [r for r in results if "suppressions" in r]
    assert len(known) == 4 and all("suppressions" not in r for r in known)
    assert len(new) == 7
    assert [r["ruleId"] for r in accepted] == ["AMLG-222"]
