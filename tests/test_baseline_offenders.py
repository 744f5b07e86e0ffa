"""A baseline entry covers the offenders its finding named, not whatever the finding names later:
new NICs, connections or uncovered resources inside an aggregate finding are new drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import offenders
from amlguard.cli import cli
from tests.conftest import EXAMPLES

DRIFTED = EXAMPLES / "drifted.json"
SUB = "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint"


def _create(tmp_path: Path, snapshot: Path = DRIFTED) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "bl.json"
    res = CliRunner().invoke(
        cli, ["baseline", "create", "-o", str(path), "--snapshot", str(snapshot)]
    )
    assert res.exit_code == 0, res.output
    return path, json.loads(path.read_text(encoding="utf-8"))


def _check(snapshot: Path, baseline: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    args = ["check", "--snapshot", str(snapshot), "--baseline", str(baseline), "-f", "json"]
    res = CliRunner().invoke(cli, [*args, *extra])
    return res.exit_code, json.loads(res.stdout), res.stderr


def _estate(tmp_path: Path, change: Any, name: str = "more.json") -> Path:
    doc = json.loads(DRIFTED.read_text(encoding="utf-8"))
    change(doc["data"])
    doc["count"] = len(doc["data"])
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _row(rows: list[dict[str, Any]], tail: str) -> dict[str, Any]:
    (found,) = [r for r in rows if r["id"].lower().endswith(tail.lower())]
    return found


def _second_public_nic(rows: list[dict[str, Any]]) -> None:
    nic = _row(rows, "/networkInterfaces/blueprint-dev-jumphost-nic")
    rows.append(json.loads(json.dumps(nic).replace("jumphost-nic", "jumphost2-nic")))


def _pending_connection(rows: list[dict[str, Any]]) -> None:
    kv = _row(rows, "/vaults/blueprint-dev-kv")
    conns = kv["properties"]["privateEndpointConnections"]
    conns.append(json.loads(json.dumps(conns[-1]).replace("managed-vnet-kv", "rogue-pe")))


@pytest.mark.parametrize(
    ("change", "rule", "added"),
    [
        (_second_public_nic, "AMLG-302", "blueprint-dev-jumphost2-nic"),
        (_pending_connection, "AMLG-240", "rogue-pe"),
    ],
)
def test_a_new_offender_in_a_known_finding_is_new(
    tmp_path: Path, change: Any, rule: str, added: str
) -> None:
    baseline, _ = _create(tmp_path)
    code, out, _ = _check(_estate(tmp_path, change), baseline)
    assert code == 1
    (new,) = [f for f in out["findings"] if f["status"] == "fail"]
    assert (new["rule_id"], new["baseline_state"]) == (rule, "new")
    assert new["message"].endswith(f"New since the baseline: {added}.")
    assert out["baseline"]["new"] == 1 and out["baseline"]["known"] == 11
    (grown,) = out["baseline"]["grown"]
    assert grown["rule_id"] == rule
    assert [offenders.label(o) for o in grown["new_offenders"]] == [added]


def test_the_console_report_fails_and_names_the_new_offender(tmp_path: Path) -> None:
    baseline, _ = _create(tmp_path)
    snap = _estate(tmp_path, _second_public_nic)
    res = CliRunner().invoke(cli, ["check", "--snapshot", str(snap), "--baseline", str(baseline)])
    assert res.exit_code == 1
    assert "New since the baseline: blueprint-dev-jumphost2-nic" in " ".join(res.stdout.split())
    assert "FAILED" in res.stdout


def test_every_aggregate_entry_missing_one_offender_makes_its_finding_new(tmp_path: Path) -> None:
    """The class: whatever rule aggregates (AMLG-104, 106, 240, 301, 302 ...), an offender the
    entry lacks is new, and only that one is named."""
    baseline, doc = _create(tmp_path)
    aggregate = [e for e in doc["findings"] if e["offenders"]]
    assert {"AMLG-104", "AMLG-106", "AMLG-240", "AMLG-302"} <= {e["rule_id"] for e in aggregate}
    for entry in aggregate:
        dropped = entry["offenders"].pop()
        baseline.write_text(json.dumps(doc), encoding="utf-8")
        code, out, _ = _check(DRIFTED, baseline)
        entry["offenders"].append(dropped)
        assert code == 1, entry["rule_id"]
        (new,) = [f for f in out["findings"] if f["status"] == "fail"]
        assert new["rule_id"] == entry["rule_id"]
        (grown,) = out["baseline"]["grown"]
        assert [offenders.key(o) for o in grown["new_offenders"]] == [offenders.key(dropped)]


def test_fewer_offenders_and_other_case_stay_known(tmp_path: Path) -> None:
    baseline, doc = _create(tmp_path)
    for entry in doc["findings"]:
        # an entry that named none stays so: a failure naming none where its entry named some
        # fails for another reason (redteam9 item 6), it is not "fewer offenders"
        gone = [f"{SUB}/gone-since"] if entry["offenders"] else []
        entry["offenders"] = [o.upper() for o in entry["offenders"]] + gone
    baseline.write_text(json.dumps(doc), encoding="utf-8")
    code, out, _ = _check(DRIFTED, baseline)
    assert code == 0
    assert out["baseline"]["resolved"] == []
    assert (out["baseline"]["known"], out["baseline"]["new"]) == (12, 0)
    assert "grown" not in out["baseline"] and "unverified" not in out["baseline"]
    assert out["warnings"] == []


def test_an_entry_without_offenders_covers_as_before_and_says_so(tmp_path: Path) -> None:
    baseline, doc = _create(tmp_path)
    (nic_entry,) = [e for e in doc["findings"] if e["rule_id"] == "AMLG-302"]
    del nic_entry["offenders"]
    baseline.write_text(json.dumps(doc), encoding="utf-8")
    code, out, _ = _check(_estate(tmp_path, _second_public_nic), baseline)
    assert code == 0
    assert out["baseline"]["unverified"] == 1
    assert any("1 known finding(s) matched entries that predate" in w for w in out["warnings"])
    res = CliRunner().invoke(
        cli, ["check", "--snapshot", str(tmp_path / "more.json"), "--baseline", str(baseline)]
    )
    assert "1 known finding(s) matched entries that predate" in " ".join(res.output.split())


def test_malformed_offenders_are_a_usage_error(tmp_path: Path) -> None:
    baseline, doc = _create(tmp_path)
    doc["findings"][3]["offenders"] = "nic"
    baseline.write_text(json.dumps(doc), encoding="utf-8")
    res = CliRunner().invoke(
        cli, ["check", "--snapshot", str(DRIFTED), "--baseline", str(baseline)]
    )
    assert res.exit_code == 2
    assert "findings[3].offenders must be an array" in res.output


def test_a_duplicated_entry_covers_what_either_records(tmp_path: Path) -> None:
    baseline, doc = _create(tmp_path, _estate(tmp_path, _second_public_nic))
    (entry,) = [e for e in doc["findings"] if e["rule_id"] == "AMLG-302"]
    first, second = dict(entry), dict(entry)
    first["offenders"], second["offenders"] = entry["offenders"][:1], entry["offenders"][1:]
    doc["findings"] = [e for e in doc["findings"] if e is not entry] + [first, second]
    baseline.write_text(json.dumps(doc), encoding="utf-8")
    code, out, _ = _check(tmp_path / "more.json", baseline)
    assert (code, out["baseline"]["new"]) == (0, 0)


_offender = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.none(),
    st.dictionaries(st.sampled_from(["id", "name", "x"]), st.text(max_size=6), max_size=2),
    st.lists(st.integers(), max_size=2),
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(_offender, max_size=6), _offender)
def test_offender_identity_properties(recorded: list[Any], extra: Any) -> None:
    stored = json.loads(json.dumps(offenders.identities(recorded)))  # through the file
    assert offenders.unrecorded(recorded, stored) == []
    assert offenders.identities(stored) == stored  # idempotent, stable order
    added = offenders.unrecorded([*recorded, extra], stored)
    assert added == ([] if offenders.key(extra) in {offenders.key(o) for o in stored} else [extra])
    assert offenders.key("1") != offenders.key(1)
    assert offenders.key("/Subscriptions/A") == offenders.key("/subscriptions/a")
