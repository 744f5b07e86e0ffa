"""SARIF locations: repository-relative, columns on single-line snapshots, hostile artifacts."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.reports.locations import Locator
from amlguard.settings import CheckSettings
from tests.builders import blueprint
from tests.reports.golden import ESTATES


def _drifted_rows(count: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(count):
        inst = blueprint(rg=f"rg-{i}", prefix=f"ws{i}")
        inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
        rows += inst.rows()
    return rows


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")])
def test_single_line_snapshot_points_at_each_id(
    tmp_path: Path, separators: tuple[str, str]
) -> None:
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(_drifted_rows(5), separators=separators), encoding="utf-8")
    result = app.prepare_scan(CheckSettings(snapshots=(snap,))).result
    opts = ReportOptions(extra={"artifacts": [str(snap)], "root": str(tmp_path)})
    doc = json.loads(app.render(result, "sarif", opts))
    line = snap.read_text(encoding="utf-8")
    results = doc["runs"][0]["results"]
    assert len(results) == 5
    for res in results:
        phys = res["locations"][0]["physicalLocation"]
        assert phys["artifactLocation"] == {"uri": "estate.json", "uriBaseId": "%SRCROOT%"}
        region = phys["region"]
        resource = res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        found = line[region["startColumn"] - 1 : region["endColumn"] - 1]
        assert found == resource
        assert line[: region["startColumn"] - 1].endswith(f'"id"{separators[1]}"')


def test_artifacts_outside_the_repository_are_named_not_climbed_to(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    outside = tmp_path / "elsewhere" / "estate.json"
    outside.parent.mkdir()
    outside.write_text((ESTATES / "drifted.json").read_text(encoding="utf-8"), encoding="utf-8")
    result = app.prepare_scan(CheckSettings(snapshots=(outside,))).result
    for artifact in (str(outside), os.path.relpath(outside)):
        opts = ReportOptions(extra={"artifacts": [artifact], "root": str(root)})
        text = app.render(result, "sarif", opts)
        assert "../" not in text and "file:" not in text
        uris = set(re.findall(r'"uri": "([^"]+)"', text))
        assert uris == {"estate.json"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_or_missing_artifact_never_hangs(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.bicep"
    os.mkfifo(fifo)
    locator = Locator([str(fifo), str(tmp_path / "missing.bicep")], tmp_path)
    located = locator.locate("/subscriptions/x/resourceGroups/rg/providers/a/b/c")
    assert located.uri == "pipe.bicep" and located.region.line == 1


def test_rule_help_has_no_templates() -> None:
    result = app.prepare_scan(CheckSettings(snapshots=(ESTATES / "drifted.json",))).result
    doc = json.loads(app.render(result, "sarif", ReportOptions()))
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        for text in (rule["help"]["text"], rule["help"]["markdown"]):
            assert not re.search(r"\{[A-Za-z]+\}", text), rule["id"]
        assert rule["helpUri"].endswith(f"docs/rules/{rule['id']}.md")


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=6), st.text(max_size=20))
def test_wanted_and_full_index_agree(names: list[str], noise: str) -> None:
    ids = [f"/subscriptions/s/resourceGroups/rg/providers/x/y/{n}" for n in names]
    text = noise.replace('"', "") + json.dumps([{"id": i, "ref": {"id": i}} for i in ids])
    lines = [text, json.dumps({"id": ids[0]}, indent=1)]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.json"
        path.write_text("\n".join(lines), encoding="utf-8")
        full = Locator([str(path)], Path(tmp))
        fast = Locator([str(path)], Path(tmp), wanted=ids)
        for rid in ids:
            assert fast.locate(rid) == full.locate(rid)


def test_an_id_spelled_in_another_case_is_still_found(tmp_path: Path) -> None:
    rid = "/subscriptions/s/resourceGroups/rg/providers/x/y/name"
    path = tmp_path / "f.json"
    path.write_text(json.dumps([{"id": "/other"}, {"id": rid.upper()}]), encoding="utf-8")
    found = Locator([str(path)], tmp_path, wanted=[rid]).locate(rid)
    line = path.read_text(encoding="utf-8")
    assert line[found.region.start_column - 1 : found.region.end_column - 1] == rid.upper()
