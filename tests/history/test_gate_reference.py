"""--fail-on-new compares with the last scan its gate accepted (redteam10b #1).

A failure is "known" only if it was failing in the newest earlier scan of the scope that was
recorded with the gate off, or that passed its own gate. Re-running a failed CI job therefore
fails again; an adopting scan (no --fail-on-new) makes its failures known; a database written
before the gate outcome was recorded still works, failing closed.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.history import schema
from amlguard.history.records import GATE_ACCEPTS, GATE_FAILED, GATE_INCOMPLETE, GATE_OFF
from amlguard.history.store import HistoryStore
from amlguard.scanner.model import Severity
from tests.conftest import EXAMPLES
from tests.history.scans import scan

COMPLIANT = EXAMPLES / "compliant.json"
DRIFTED = EXAMPLES / "drifted.json"


class Job:
    """One CI job's history: the same snapshot path (one scope) scanned again and again."""

    def __init__(self, tmp: Path) -> None:
        self.estate = tmp / "estate.json"
        self.db = tmp / "h.db"

    def run(self, estate: Path, *flags: str) -> Any:
        """``check --snapshot ESTATE --history DB FLAGS`` (console output, --compact)."""
        shutil.copy(estate, self.estate)
        args = ["check", "--snapshot", str(self.estate), "--history", str(self.db), "--compact"]
        return CliRunner().invoke(cli, [*args, *flags])

    def gates(self) -> list[str | None]:
        """The gate outcome recorded for each scan, oldest first."""
        with HistoryStore(self.db) as store:
            return [s.gate for s in store.scans()]


def test_a_retried_ci_job_fails_again(tmp_path: Path) -> None:
    job = Job(tmp_path)
    assert job.run(COMPLIANT, "--fail-on-new").exit_code == 0
    first = job.run(DRIFTED, "--fail-on-new")
    assert first.exit_code == 1
    assert "FAILED the gate: 12 new failure(s) at or above low" in " ".join(first.stdout.split())
    retry = job.run(DRIFTED, "--fail-on-new")  # "Re-run failed jobs": nothing changed
    assert retry.exit_code == 1, retry.output
    text = " ".join(retry.stdout.split())
    assert (
        "FAILED the gate: 12 new failure(s) at or above low (not in scan 1, the last scan "
        "that passed this gate); 0 known." in text
    )
    assert "12 new failure(s) were already failing in scan 2, which failed this gate" in text
    assert "since scan 1, the last scan that passed this gate: 12 new" in retry.stderr
    assert job.gates() == ["passed", "failed", "failed"]
    # 'amlguard diff' still compares with the previous scan: nothing new between the retries
    diff = CliRunner().invoke(cli, ["diff", "--history", str(job.db), "-f", "json"])
    assert '"new": 0' in diff.stdout and '"still_failing": 12' in diff.stdout


def test_the_adopting_scan_makes_its_failures_known(tmp_path: Path) -> None:
    job = Job(tmp_path)
    assert job.run(DRIFTED, "--fail-on-new").exit_code == 1  # the first run fails closed
    again = job.run(DRIFTED, "--fail-on-new")
    assert again.exit_code == 1
    assert "(no earlier scan of this scope passed this gate)" in " ".join(again.stdout.split())
    assert job.run(DRIFTED).exit_code == 1  # gate off: --fail-on gates, the scan adopts
    known = job.run(DRIFTED, "--fail-on-new")
    assert known.exit_code == 0, known.output
    assert "PASSED the gate: 0 new failures at or above low; 12 known (since scan 3)." in (
        " ".join(known.stdout.split())
    )
    assert "the last scan recorded without --fail-on-new" in known.stderr
    assert job.gates() == ["failed", "failed", "off", "passed"]
    # and a passing scan is itself a reference: the next run compares with it
    assert job.run(DRIFTED, "--fail-on-new").exit_code == 0


def test_fail_on_none_adopts_as_the_recipes_say(tmp_path: Path) -> None:
    job = Job(tmp_path)
    assert job.run(DRIFTED, "--fail-on-new", "--fail-on", "none").exit_code == 0
    assert job.run(DRIFTED, "--fail-on-new").exit_code == 0
    assert job.gates() == ["passed", "passed"]


def test_an_incomplete_scan_accepts_nothing(tmp_path: Path) -> None:
    from tests.builders import blueprint

    inst = blueprint()
    scan(tmp_path, inst.rows())  # writes tmp/estate.json
    job = Job(tmp_path)
    snap = tmp_path / "snap.json"
    shutil.copy(job.estate, snap)
    assert job.run(snap, "--fail-on-new").exit_code == 0
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    scan(tmp_path, inst.rows(), gaps=[{"reason": "throttled", "scope": inst.sub}])
    shutil.copy(job.estate, snap)
    assert job.run(snap, "--fail-on-new").exit_code == 3
    scan(tmp_path, inst.rows())
    shutil.copy(job.estate, snap)
    res = job.run(snap, "--fail-on-new")
    assert res.exit_code == 1, res.output  # what the incomplete scan saw is still new
    assert "(not in scan 1, the last scan that passed this gate)" in " ".join(res.stdout.split())
    assert job.gates() == ["passed", "incomplete", "failed"]


def test_with_a_baseline_the_baseline_still_decides(tmp_path: Path) -> None:
    job = Job(tmp_path)
    baseline = tmp_path / "baseline.json"
    shutil.copy(DRIFTED, job.estate)
    made = CliRunner().invoke(
        cli, ["baseline", "create", "--snapshot", str(job.estate), "-o", str(baseline)]
    )
    assert made.exit_code == 0, made.output
    assert job.run(DRIFTED, "--fail-on-new", "--baseline", str(baseline)).exit_code == 0
    empty = tmp_path / "empty.json"
    shutil.copy(COMPLIANT, job.estate)
    CliRunner().invoke(cli, ["baseline", "create", "--snapshot", str(job.estate), "-o", str(empty)])
    # the failures the history knows (scan 1 passed with them accepted) still gate: not in it
    assert job.run(DRIFTED, "--fail-on-new", "--baseline", str(empty)).exit_code == 1
    # the scan the baseline passed is a reference for the history-only gate
    assert job.run(DRIFTED, "--fail-on-new").exit_code == 0


def _downgrade(db: Path) -> None:
    """Turn a history into one written before schema v6 (no gate outcome recorded)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("ALTER TABLE scans DROP COLUMN gate")
    conn.execute("PRAGMA user_version = 5")
    conn.close()


def test_a_migrated_database_counts_only_clean_old_scans(tmp_path: Path) -> None:
    job = Job(tmp_path)
    job.run(COMPLIANT)
    job.run(DRIFTED)
    _downgrade(job.db)
    res = job.run(DRIFTED, "--fail-on-new")  # migrates to v6, then gates
    assert res.exit_code == 1, res.output
    assert "(not in scan 1, the last scan with no failure at or above low)" in " ".join(
        res.stdout.split()
    )
    assert job.gates() == [None, None, GATE_FAILED]
    listed = CliRunner().invoke(cli, ["history", "list", "--history", str(job.db)])
    assert listed.exit_code == 0 and " failed " in listed.stdout and " -  " in listed.stdout
    conn = sqlite3.connect(job.db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST


def test_a_migrated_database_of_failing_scans_fails_closed_until_adopted(tmp_path: Path) -> None:
    job = Job(tmp_path)
    job.run(DRIFTED)
    _downgrade(job.db)
    res = job.run(DRIFTED, "--fail-on-new")
    assert res.exit_code == 1
    assert "(no earlier scan of this scope passed this gate)" in " ".join(res.stdout.split())
    # below today's threshold the old scan had no failure: it counts
    assert job.run(DRIFTED, "--fail-on-new", "--fail-on", "critical").exit_code == 0
    assert job.run(DRIFTED).exit_code == 1  # adopt
    assert job.run(DRIFTED, "--fail-on-new").exit_code == 0


def test_prune_keeps_the_scan_the_gate_compares_with(tmp_path: Path) -> None:
    job = Job(tmp_path)
    job.run(DRIFTED)  # 1: adopted
    for _ in range(3):
        job.run(COMPLIANT, "--fail-on-new")  # 2-4 pass (nothing fails)
    for _ in range(2):
        job.run(DRIFTED, "--fail-on-new")  # 5-6: the drift is new since scan 4 (clean)
    res = CliRunner().invoke(cli, ["history", "prune", "--history", str(job.db), "--keep", "1"])
    assert res.exit_code == 0, res.output
    with HistoryStore(job.db) as store:
        assert [s.id for s in store.scans()] == [4, 6]  # the reference survives
    assert job.run(DRIFTED, "--fail-on-new").exit_code == 1  # still new against scan 4


_OUTCOMES = st.sampled_from(["off", "passed", "failed", "incomplete"])


@settings(derandomize=True, max_examples=25, deadline=None)
@given(st.lists(_OUTCOMES, max_size=6), st.sampled_from([Severity.LOW, None]))
def test_the_reference_is_the_newest_accepted_scan(outcomes: list[str], fail_on: Any) -> None:
    result = _one_result()
    with tempfile.TemporaryDirectory() as tmp, HistoryStore(Path(tmp) / "h.db") as store:
        for outcome in outcomes:

            def decided(_scan: Any, o: str = outcome) -> str:
                return o

            store.record(result, "s", decided)
        last = store.record(result, "s", lambda _scan: GATE_OFF)
        ref = store.reference(last, fail_on)
        accepted = [i + 1 for i, o in enumerate(outcomes) if o in GATE_ACCEPTS]
        assert (ref.id if ref else None) == (accepted[-1] if accepted else None)
        assert {GATE_FAILED, GATE_INCOMPLETE}.isdisjoint({ref.gate} if ref else set())


_RESULTS: list[Any] = []


def _one_result() -> Any:
    if not _RESULTS:
        with tempfile.TemporaryDirectory() as tmp:
            from tests.builders import blueprint

            _RESULTS.append(scan(Path(tmp), blueprint().rows()))
    return _RESULTS[0]
