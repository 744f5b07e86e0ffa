"""The history sees drift inside an aggregate finding: a still-failing finding that names a new
offender (a second public NIC, a new pending connection) is new in the diff and for
--fail-on-new, across a transient gap too; fewer offenders is still failing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.history import schema
from amlguard.history.store import HistoryStore
from amlguard.scanner.sources.snapshot import write_snapshot
from tests.conftest import EXAMPLES

DRIFTED = EXAMPLES / "drifted.json"
SUB = "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(DRIFTED.read_text(encoding="utf-8"))["data"]
    return rows


def _more_nics(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    (nic,) = [r for r in rows if r["id"].endswith("/blueprint-dev-jumphost-nic")]
    text = json.dumps(nic)
    return rows + [json.loads(text.replace("jumphost-nic", name)) for name in names]


def _check(
    db: Path, snap: Path, rows: list[dict[str, Any]], adopt: bool = False, **header: Any
) -> int:
    """A --fail-on-new scan; ``adopt``: recorded with the gate off (its failures become known)."""
    write_snapshot(snap, rows, header)
    args = ["check", "--snapshot", str(snap), "--history", str(db), "--history-scope", "nightly"]
    res = CliRunner().invoke(cli, [*args, *([] if adopt else ["--fail-on-new"]), "-f", "json"])
    assert res.exit_code in (0, 1, 3), res.output
    return res.exit_code


def _diff(db: Path, *extra: str) -> dict[str, Any]:
    res = CliRunner().invoke(cli, ["diff", "--history", str(db), "-f", "json", *extra])
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def test_a_new_offender_is_new_drift_and_fewer_is_still_failing(tmp_path: Path) -> None:
    db, snap = tmp_path / "h.db", tmp_path / "estate.json"
    assert _check(db, snap, _rows()) == 1  # first scan: everything is new
    assert _check(db, snap, _rows()) == 1  # a re-run: the failed scan accepted nothing
    assert _check(db, snap, _rows(), adopt=True) == 1  # the gate off: its failures are known
    assert _check(db, snap, _rows()) == 0
    assert _check(db, snap, _more_nics(_rows(), "jumphost2-nic")) == 1
    doc = _diff(db)
    (new,) = doc["new"]
    assert new["rule_id"] == "AMLG-302"
    assert [o.rsplit("/", 1)[-1] for o in new["new_offenders"]] == ["blueprint-dev-jumphost2-nic"]
    assert doc["summary"]["new"] == 1 and "AMLG-302" not in {
        c["rule_id"] for c in doc["still_failing"]
    }
    for fmt in ("console", "markdown"):
        res = CliRunner().invoke(cli, ["diff", "--history", str(db), "-f", fmt, "--fail-on-new"])
        assert res.exit_code == 1
        assert "jumphost2-nic" in res.stdout
    # The extra NIC goes again: fewer offenders than before is not new, and not resolved.
    assert _check(db, snap, _rows()) == 0
    doc = _diff(db)
    assert doc["new"] == [] and doc["resolved"] == []
    assert "AMLG-302" in {c["rule_id"] for c in doc["still_failing"]}


def test_growth_across_a_transient_gap_is_still_new(tmp_path: Path) -> None:
    db, snap = tmp_path / "h.db", tmp_path / "estate.json"
    _check(db, snap, _rows(), adopt=True)
    gap = {"reason": "throttled", "scope": SUB}
    assert _check(db, snap, _rows(), gaps=[gap]) == 3
    assert _check(db, snap, _more_nics(_rows(), "jumphost3-nic")) == 1
    (new,) = _diff(db)["new"]
    assert (new["rule_id"], len(new["new_offenders"])) == ("AMLG-302", 1)
    # And a gap in between does not invent growth either (once the growth is adopted).
    assert _check(db, snap, _more_nics(_rows(), "jumphost3-nic")) == 1  # not accepted yet
    assert _check(db, snap, _more_nics(_rows(), "jumphost3-nic"), adopt=True) == 1
    assert _check(db, snap, _more_nics(_rows(), "jumphost3-nic"), gaps=[gap]) == 3
    assert _check(db, snap, _more_nics(_rows(), "jumphost3-nic")) == 0


def test_offenders_are_stored_and_shown_and_compared_case_insensitively(tmp_path: Path) -> None:
    db, snap = tmp_path / "h.db", tmp_path / "estate.json"
    _check(db, snap, _more_nics(_rows(), "jumphost2-nic"), adopt=True)
    upper = [
        {**r, "id": r["id"].upper()} if r["id"].endswith("jumphost2-nic") else r
        for r in _more_nics(_rows(), "jumphost2-nic")
    ]
    assert _check(db, snap, upper) == 0
    res = CliRunner().invoke(cli, ["history", "show", "--history", str(db), "-f", "json"])
    (nics,) = [f for f in json.loads(res.stdout)["findings"] if f["rule_id"] == "AMLG-302"]
    assert len(nics["offenders"]) == 2


def test_migration_to_v5_keeps_old_rows_as_unknown_offenders(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    conn = sqlite3.connect(db, isolation_level=None)
    assert schema.migrate(conn, target=4) == 4
    conn.execute(
        "INSERT INTO scans VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'nightly', "
        "'snapshot', 'x.json', '0.1.0', '2026.11.1', 'sha256:0', 1, '[]')"
    )
    conn.execute(
        "INSERT INTO findings VALUES (1, 'AMLG-302', 'n', 2, 'fail', '/subs/x/vnet', 't', '/ws', "
        "'m', NULL, NULL, NULL, '2026-01-01T00:00:00Z', NULL, NULL)"
    )
    conn.close()
    with HistoryStore(db) as store:
        (old,) = store.findings(1)
    assert old.offenders is None and "offenders" not in old.to_dict()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST == 6
    columns = [r[1] for r in conn.execute("PRAGMA table_info(findings)")]
    assert columns[-1] == "offenders"
    conn.close()
