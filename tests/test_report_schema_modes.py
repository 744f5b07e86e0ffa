"""The shipped findings schema accepts what ``check -f json`` really writes in every mode:
each example estate, plain, with --baseline (known, new and grown findings, resolved entries,
an old baseline file), with --history (and --fail-on-new), and with --fix on a snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from amlguard.cli import cli
from amlguard.scanner.yamlsource import schema
from tests.conftest import EXAMPLES

ESTATES = sorted(p.name for p in EXAMPLES.glob("*.json"))
DRIFTED = str(EXAMPLES / "drifted.json")


def _problems(doc: Any) -> list[str]:
    validator = Draft202012Validator(schema("findings.schema.json"))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)
    ]


def _check(*args: str) -> tuple[int, dict[str, Any]]:
    res = CliRunner().invoke(cli, ["check", "--format", "json", *args])
    assert res.exit_code in (0, 1, 3), res.output
    return res.exit_code, json.loads(res.stdout)


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("baseline") / "bl.json"
    res = CliRunner().invoke(cli, ["baseline", "create", "-o", str(path), "--snapshot", DRIFTED])
    assert res.exit_code == 0, res.output
    return path


def test_every_estate_validates_in_every_mode(baseline_file: Path, tmp_path: Path) -> None:
    checked = 0
    for estate in ESTATES:
        snap = str(EXAMPLES / estate)
        db = str(tmp_path / f"{estate}.db")
        modes: list[list[str]] = [
            [],
            ["--baseline", str(baseline_file)],
            ["--history", db],
            ["--history", db, "--fail-on-new"],
            ["--history", db, "--baseline", str(baseline_file), "--verbose"],
            ["--fix", "--dry-run"],
        ]
        for extra in modes:
            _, doc = _check("--snapshot", snap, *extra)
            assert _problems(doc) == [], (estate, extra)
            checked += 1
    assert checked == 6 * len(ESTATES) >= 42


def test_a_grown_baseline_finding_validates_and_names_its_new_offender(
    baseline_file: Path, tmp_path: Path
) -> None:
    doc = json.loads(Path(DRIFTED).read_text(encoding="utf-8"))
    (nic,) = [r for r in doc["data"] if r["id"].endswith("/blueprint-dev-jumphost-nic")]
    extra = json.loads(json.dumps(nic).replace("jumphost-nic", "jumphost9-nic"))
    doc["data"].append(extra)
    doc["count"] = len(doc["data"])
    snap = tmp_path / "more.json"
    snap.write_text(json.dumps(doc), encoding="utf-8")
    code, out = _check("--snapshot", str(snap), "--baseline", str(baseline_file))
    assert code == 1
    assert _problems(out) == []
    (grown,) = out["baseline"]["grown"]
    assert [o.lower() for o in grown["new_offenders"]] == [extra["id"].lower()]


def test_an_old_baseline_file_validates_and_is_counted_unverified(
    baseline_file: Path, tmp_path: Path
) -> None:
    doc = json.loads(baseline_file.read_text(encoding="utf-8"))
    for entry in doc["findings"]:
        del entry["offenders"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc), encoding="utf-8")
    code, out = _check("--snapshot", DRIFTED, "--baseline", str(old))
    assert code == 0
    assert _problems(out) == []
    assert out["baseline"]["unverified"] == out["baseline"]["known"] == 12
    assert any("12 known finding(s) matched entries that predate" in w for w in out["warnings"])


def test_the_baseline_block_is_described_tightly(baseline_file: Path) -> None:
    _, out = _check("--snapshot", DRIFTED, "--baseline", str(baseline_file))
    assert _problems(out) == []
    out["baseline"]["surprise"] = 1
    assert any("surprise" in p for p in _problems(out))
    del out["baseline"]["surprise"]
    out["baseline"]["resolved"] = [{"rule_id": "AMLG-101", "resource_id": "/x", "instance": "/x"}]
    assert _problems(out) == []
    out["baseline"]["resolved"][0]["new_offenders"] = ["/x"]
    assert any("new_offenders" in p for p in _problems(out))
