"""An AI account whose ``kind`` carries whitespace is still the kind it names (redteam7 item 11):
it stayed out of the integrated set, and its failures vanished without a word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from tests.conftest import EXAMPLES


def _failing(path: Path) -> list[tuple[str, str]]:
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    return sorted((f["rule_id"], f["resource_id"].lower()) for f in report["findings"]
                  if f["status"] == "fail")  # fmt: skip


@pytest.mark.parametrize("pad", [" {} ", "{}\t", "\n{}"])
def test_padded_kinds_judge_the_same(tmp_path: Path, pad: str) -> None:
    doc = json.loads((EXAMPLES / "drifted.json").read_text())
    padded = 0
    for row in doc["data"]:
        if row["type"].lower() == "microsoft.cognitiveservices/accounts":
            row["kind"] = pad.format(row["kind"])
            padded += 1
    assert padded >= 2
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc))
    assert _failing(path) == _failing(EXAMPLES / "drifted.json")
