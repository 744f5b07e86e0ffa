"""The history database: round trip, atomic scans, concurrent writers, bad files, migrations."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard import __version__
from amlguard.cli import cli
from amlguard.errors import HistoryError
from amlguard.history import schema
from amlguard.history.store import HistoryStore
from amlguard.scanner.model import Status
from tests.builders import blueprint
from tests.conftest import EXAMPLES, ROOT
from tests.history.scans import scan
from tests.make_examples import drifted


def test_round_trip_keeps_every_finding_and_the_scan_metadata(tmp_path: Path) -> None:
    result = scan(tmp_path, drifted())
    # An accepted risk keeps its reason, expiry and approver in the history (for audits).
    accepted = {"kind": "suppression", "reason": "vendor VPN", "expires": "2027-01-31"}
    result.findings[0] = dataclasses.replace(
        result.findings[0], status=Status.SUPPRESSED, suppression=accepted, baseline_state="new"
    )
    with HistoryStore(tmp_path / "h.db") as store:
        recorded = store.record(result, "tenant-a")
        again = store.scan("latest")
        stored = store.findings(recorded.id)
        rules = store.rules_of(recorded.id)
    assert again == recorded
    assert recorded.scope == "tenant-a"
    assert recorded.scan_time == result.scan_time
    assert (recorded.pack_version, recorded.pack_hash) == (result.pack_version, result.pack_hash)
    assert recorded.tool_version == __version__
    assert recorded.complete is True
    assert recorded.counts == result.counts()
    assert recorded.source_kind == "snapshot"
    skip = ("first_seen", "offenders")  # the report's shape has neither
    as_stored = [{k: v for k, v in f.to_dict().items() if k not in skip} for f in stored]
    originals = [
        {k: v for k, v in f.to_dict().items() if k != "remediation"} for f in result.findings
    ]
    assert as_stored == json.loads(json.dumps(originals, default=str))
    assert rules == {r.id for r in result.rules}
    # A failure keeps the offenders it named (what a later diff compares); others name none.
    assert [f.offenders for f in stored] == [
        tuple(f.offenders) if f.status is Status.FAIL else None for f in result.findings
    ]
    assert any(f.offenders for f in stored)
    assert stored[0].suppression == accepted and stored[0].baseline_state == "new"
    # A failure recorded in the first scan of a scope is first seen at that scan.
    assert {f.first_seen for f in stored if f.status is Status.FAIL} == {result.scan_time}
    assert all(f.first_seen is None for f in stored if f.status is not Status.FAIL)


def test_default_scope_is_the_source_and_incomplete_scans_say_so(tmp_path: Path) -> None:
    inst = blueprint()
    result = scan(tmp_path, inst.rows(), gaps=[{"reason": "throttled", "scope": inst.sub}])
    with HistoryStore(tmp_path / "h.db") as store:
        recorded = store.record(result)
    assert recorded.scope == f"snapshot:{tmp_path / 'estate.json'}"
    assert recorded.complete is False
    assert recorded.gaps == (f"throttled [{inst.sub}]",)
    assert recorded.counts["error"] == len(result.findings) > 0


def test_scan_references(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.db") as store:
        first = store.record(scan(tmp_path, blueprint().rows()), "a")
        second = store.record(scan(tmp_path, blueprint().rows()), "b")
        third = store.record(scan(tmp_path, blueprint().rows()), "a")
        assert store.scan("latest").id == third.id
        assert store.scan("latest~1").id == second.id
        assert store.scan("latest~1", scope="a").id == first.id
        assert store.previous(third) == first
        assert store.previous(first) is None
        assert [s.id for s in store.scans("a")] == [first.id, third.id]
        assert [s.id for s in store.scans(limit=2)] == [second.id, third.id]
        with pytest.raises(HistoryError, match="no scan with id 99"):
            store.scan("99")
        with pytest.raises(HistoryError, match=r"'latest~5'.*3 scan"):
            store.scan("latest~5")
        with pytest.raises(HistoryError, match="give a scan id"):
            store.scan("yesterday")


class _Exploding(list):  # type: ignore[type-arg]
    """A findings list that fails half-way through being written."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        for i, item in enumerate(list.__iter__(self)):
            if i == 5:
                raise RuntimeError("disk pulled out mid-scan")
            yield item


def test_a_scan_that_fails_half_way_leaves_nothing_behind(tmp_path: Path) -> None:
    good = scan(tmp_path, drifted())
    bad = scan(tmp_path, drifted())
    bad.findings = _Exploding(bad.findings)
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(good, "s")
        with pytest.raises(RuntimeError, match="mid-scan"):
            store.record(bad, "s")
        assert len(store.scans()) == 1
    conn = sqlite3.connect(tmp_path / "h.db")
    assert conn.execute("SELECT COUNT(DISTINCT scan_id) FROM findings").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == len(good.findings)


def test_the_database_uses_wal_and_is_marked_as_ours(tmp_path: Path) -> None:
    HistoryStore(tmp_path / "h.db").close()
    conn = sqlite3.connect(tmp_path / "h.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST


def test_two_threads_writing_at_once_both_land(tmp_path: Path) -> None:
    results = [scan(tmp_path, drifted(), name=f"t{i}.json") for i in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            with HistoryStore(tmp_path / "h.db") as store:
                barrier.wait(timeout=60)  # a writer that failed to open must not hang the other
                for _ in range(10):
                    store.record(results[i], f"thread-{i}")
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with HistoryStore(tmp_path / "h.db") as store:
        scans = store.scans()
        assert len(scans) == 20
        assert {s.scope for s in scans} == {"thread-0", "thread-1"}
        assert all(s.counts == results[0].counts() for s in scans)
        # Each scope's chain is intact: every failure carries its scope's first time.
        last = store.scan("latest", scope="thread-1")
        assert all(f.first_seen for f in store.findings(last.id) if f.status is Status.FAIL)


def test_two_processes_writing_at_once_both_land(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AMLGUARD_HISTORY": str(db)}
    snapshot = EXAMPLES / "drifted.json"
    procs = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "amlguard", "check", "--snapshot", str(snapshot)),
                *("--history-scope", f"proc-{i}", "--format", "json"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outcomes = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in outcomes] == [1, 1, 1, 1], outcomes
    assert all("recorded scan" in err for _, err in outcomes)
    with HistoryStore(db) as store:
        scans = store.scans()
    assert sorted(s.scope for s in scans) == [f"proc-{i}" for i in range(4)]
    assert all(s.failing == 12 for s in scans)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is a text file, not a database\n" * 40, "corrupted or not SQLite"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "corrupted or not SQLite"),
    ],
)
def test_a_corrupted_file_is_a_clear_error_with_exit_2(
    tmp_path: Path, content: bytes, message: str
) -> None:
    db = tmp_path / "h.db"
    db.write_bytes(content)
    runner = CliRunner()
    for args in (
        ["history", "list", "--history", str(db)],
        ["diff", "--history", str(db)],
        ["check", "--snapshot", str(EXAMPLES / "compliant.json"), "--history", str(db)],
    ):
        out = runner.invoke(cli, args)
        assert out.exit_code == 2, (args, out.output)
        assert message in out.output and str(db) in out.output
        assert "Traceback" not in out.output
    assert db.read_bytes() == content  # never "repaired" by overwriting


def test_damaged_pages_inside_a_real_history_are_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with HistoryStore(db) as store:
        for _ in range(3):
            store.record(scan(tmp_path, drifted()), "s")
    data = bytearray(db.read_bytes())  # closing the last connection checkpointed the WAL
    page = 4096
    assert len(data) > 4 * page
    data[page * 2 :] = b"\x5a" * (len(data) - page * 2)
    db.write_bytes(bytes(data))
    out = CliRunner().invoke(cli, ["history", "show", "latest", "--history", str(db)])
    assert out.exit_code == 2, out.output
    assert "corrupted" in out.output and "Traceback" not in out.output


def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('alice')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    out = CliRunner().invoke(
        cli, ["check", "--snapshot", str(EXAMPLES / "compliant.json"), "--history", str(db)]
    )
    assert out.exit_code == 2
    assert "not an amlguard history database (tables: users)" in out.output
    assert db.read_bytes() == before
    assert not Path(str(db) + "-wal").exists()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    HistoryStore(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    conn.close()
    with pytest.raises(HistoryError, match=f"newer amlguard.*v{schema.LATEST + 1}"):
        HistoryStore(db)


def test_reading_commands_never_create_a_database(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    out = CliRunner().invoke(cli, ["history", "list", "--history", str(db)])
    assert out.exit_code == 2 and "no history database here" in out.output
    assert not db.exists()


def test_migration_from_the_first_schema_keeps_and_enriches_old_scans(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    conn = sqlite3.connect(db, isolation_level=None)
    assert schema.migrate(conn, target=1) == 1
    # Two scans of one scope as version 1 recorded them: no first_seen, no scan_rules.
    for scan_id, when, statuses in [
        (1, "2026-01-01T00:00:00Z", ("fail", "fail")),
        (2, "2026-01-02T00:00:00Z", ("fail", "pass")),
    ]:
        conn.execute(
            "INSERT INTO scans VALUES (?, ?, ?, 'nightly', 'snapshot', 'x.json', '0.1.0', "
            "'2026.11.1', 'sha256:0', 1, '[]')",
            (scan_id, when, when),
        )
        for rule, status in zip(("AMLG-101", "AMLG-201"), statuses, strict=True):
            conn.execute(
                "INSERT INTO findings VALUES (?, ?, 'n', 3, ?, ?, 't', '/ws', 'm', NULL, NULL, NULL)",
                (scan_id, rule, status, f"/subs/x/{rule}"),
            )
    conn.close()

    with HistoryStore(db) as store:
        assert [s.id for s in store.scans("nightly")] == [1, 2]
        old = {f.rule_id: f for f in store.findings(2)}
        assert old["AMLG-101"].first_seen == "2026-01-01T00:00:00Z"  # failing since scan 1
        assert old["AMLG-201"].first_seen is None  # passes now
        assert store.rules_of(2) == {"AMLG-101", "AMLG-201"}
        assert old["AMLG-101"].suppression is None  # not known for scans before v4
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID


def test_prune_keeps_the_newest_scans_of_each_scope(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with HistoryStore(db) as store:
        for i, when in enumerate(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]):
            result = scan(tmp_path, drifted(), when=f"{when}T02:00:00Z")
            store.record(result, "a")
            if i % 2:
                store.record(result, "b")
    runner = CliRunner()
    out = runner.invoke(cli, ["history", "prune", "--history", str(db), "--keep", "2"])
    assert out.exit_code == 0 and "Deleted 2 scan(s)" in out.output
    out = runner.invoke(cli, ["history", "prune", "--history", str(db), "--before", "2026-03-15"])
    assert out.exit_code == 0 and "Deleted 2 scan(s)" in out.output  # a's and b's March scans
    with HistoryStore(db) as store:
        left = store.scans()
        assert [(s.scope, s.scan_time[:10]) for s in left] == [
            ("a", "2026-04-01"),
            ("b", "2026-04-01"),
        ]
        # The findings went with their scans; "failing since" survives on the kept ones.
        since = {f.first_seen for f in store.findings(left[0].id) if f.first_seen}
        assert since == {"2026-01-01T02:00:00Z"}
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(DISTINCT scan_id) FROM findings").fetchone()[0] == 2
    out = runner.invoke(cli, ["history", "prune", "--history", str(db), "--before", "soon"])
    assert out.exit_code == 2 and "not an ISO date" in out.output
    out = runner.invoke(cli, ["history", "prune", "--history", str(db)])
    assert out.exit_code == 2 and "say what to delete" in out.output


def test_writers_opening_a_new_file_at_once_never_see_a_half_made_database(tmp_path: Path) -> None:
    # Two writers creating the same new history: the one that reads the file while the other
    # migrates it must not take it for a foreign database (marker read before the tables were).
    for attempt in range(40):
        db = tmp_path / f"h{attempt}.db"
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def opener(
            path: Path = db,
            gate: threading.Barrier = barrier,
            seen: list[BaseException] = errors,
        ) -> None:
            try:
                gate.wait(timeout=30)
                HistoryStore(path).close()
            except BaseException as exc:  # reported below
                seen.append(exc)

        threads = [threading.Thread(target=opener) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == [], (attempt, errors)
