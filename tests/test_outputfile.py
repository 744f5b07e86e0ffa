"""Outputs never replace what is not a file, and never overwrite an input (red-team findings).

``-o json:/dev/null`` as root used to rename a regular file over ``/dev/null``; a symlink was
replaced by a file; ``-o json:amlguard.yaml`` destroyed the config, ``--history`` the snapshot.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_USAGE, InputError
from amlguard.outputfile import refuse_inputs, write_output
from tests.conftest import EXAMPLES

DRIFTED = EXAMPLES / "drifted.json"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_a_report_to_dev_null_leaves_the_device_alone() -> None:
    result = run("check", "--snapshot", str(DRIFTED), "-o", "json:/dev/null", "-q")
    assert result.exit_code == EXIT_FINDINGS, result.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_report_to_a_read_pipe_goes_through_it(tmp_path: Path) -> None:
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as handle:
            got.append(handle.read())

    thread = threading.Thread(target=reader)
    thread.start()
    # The reader opens the pipe first (open() blocks until both ends are there).
    try:
        for _ in range(200):
            try:
                write_output(fifo, '{"ok": true}\n', "JSON report")
                break
            except InputError:
                threading.Event().wait(0.01)
    finally:
        thread.join(timeout=10)
    assert got == [b'{"ok": true}\n']
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_pipe_nobody_reads_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "nobody.pipe"
    os.mkfifo(fifo)
    result = run("check", "--snapshot", str(DRIFTED), "-o", f"json:{fifo}", "-q")
    assert result.exit_code == EXIT_USAGE
    assert "no process is reading" in result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_symlinked_report_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "latest.json"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    result = run("check", "--snapshot", str(DRIFTED), "-o", f"json:{link}", "-q")
    assert result.exit_code == EXIT_FINDINGS
    assert link.is_symlink()
    assert json.loads(real.read_text(encoding="utf-8"))["findings"]


def _inputs(tmp_path: Path) -> dict[str, Path]:
    snap = tmp_path / "estate.json"
    shutil.copy(DRIFTED, snap)
    config = tmp_path / "amlguard.yaml"
    config.write_text("rules:\n  min_severity: low\n", encoding="utf-8")
    policies = tmp_path / "policies"
    policies.mkdir()
    return {"snapshot": snap, "config": config, "policies": policies}


@pytest.mark.parametrize(
    ("extra", "victim", "flag"),
    [
        (["-o", "json:{config}"], "config", "--config"),
        (["-o", "json:{policies}/acme.yaml"], "policies", "--policies"),
        (["--history", "{snapshot}"], "snapshot", "--snapshot"),
        (["-o", "sarif:{config}", "--sarif-artifact", "{config}"], "config", "--config"),
        (["--fix", "--dry-run", "--plan-out", "{snapshot}"], "snapshot", "--snapshot"),
    ],
    ids=["report-over-config", "report-into-policies", "history-over-snapshot", "sarif", "plan"],
)
def test_no_output_overwrites_an_input(
    tmp_path: Path, extra: list[str], victim: str, flag: str
) -> None:
    paths = _inputs(tmp_path)
    before = {k: (p.read_bytes() if p.is_file() else None) for k, p in paths.items()}
    args = [
        "check",
        "--snapshot",
        str(paths["snapshot"]),
        "--config",
        str(paths["config"]),
        "--policies",
        str(paths["policies"]),
        *(a.format(**{k: str(v) for k, v in paths.items()}) for a in extra),
    ]
    result = run(*args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"would overwrite the {flag} input" in result.stderr
    after = {k: (p.read_bytes() if p.is_file() else None) for k, p in paths.items()}
    assert after == before
    assert not (paths["policies"] / "acme.yaml").exists()


def test_baseline_create_never_writes_over_its_snapshot(tmp_path: Path) -> None:
    snap = tmp_path / "estate.json"
    shutil.copy(DRIFTED, snap)
    result = run("baseline", "create", "--snapshot", str(snap), "-o", str(snap))
    assert result.exit_code == EXIT_USAGE
    assert "would overwrite the --snapshot input" in result.stderr
    assert snap.read_bytes() == DRIFTED.read_bytes()


def test_refuse_inputs_sees_through_symlinks_and_folders(tmp_path: Path) -> None:
    real = tmp_path / "in.json"
    real.write_text("{}", encoding="utf-8")
    alias = tmp_path / "alias.json"
    alias.symlink_to(real)
    with pytest.raises(InputError, match="--snapshot"):
        refuse_inputs(alias, [("--snapshot", real)], "--output json:alias.json")
    with pytest.raises(InputError, match="--policies"):
        refuse_inputs(tmp_path / "x" / "y.json", [("--policies", tmp_path)], "the report")
    refuse_inputs(tmp_path / "other.json", [("--snapshot", real)], "the report")


@pytest.mark.parametrize(
    "args",
    [
        ["--history", "{db}", "-o", "json:{db}"],
        ["--history", "{db}", "--fix", "--dry-run", "--plan-out", "{db}"],
        ["--fix", "--dry-run", "--plan-out", "{out}", "-o", "sarif:{out}"],
        ["--fix", "--dry-run", "--plan-out", "{out}", "--audit-log", "{alias}"],
        ["--history", "{db}", "--fix", "--dry-run", "--audit-log", "{db}"],
    ],
    ids=["report-over-history", "plan-over-history", "plan-and-report", "plan-and-audit", "audit"],
)
def test_no_two_outputs_share_a_file(tmp_path: Path, args: list[str]) -> None:
    """A report, the history, a plan and an audit log each need a file of their own: the second
    write would destroy the first (the history database, silently)."""
    db, out, alias = tmp_path / "scans.db", tmp_path / "out.json", tmp_path / "alias.json"
    first = run("check", "--snapshot", str(DRIFTED), "--history", str(db))
    assert first.exit_code == EXIT_FINDINGS, first.output
    kept = db.read_bytes()
    out.write_text("{}", encoding="utf-8")
    alias.symlink_to(out)
    names = {"db": str(db), "out": str(out), "alias": str(alias)}
    result = run("check", "--snapshot", str(DRIFTED), *(a.format(**names) for a in args))
    assert result.exit_code == EXIT_USAGE, result.output
    assert "write to the same file" in result.stderr
    assert db.read_bytes() == kept and out.read_text(encoding="utf-8") == "{}"


def test_many_outputs_may_go_to_dev_null() -> None:
    result = run(
        "check", "--snapshot", str(DRIFTED), "--fix", "--dry-run",
        "--plan-out", os.devnull, "-o", f"json:{os.devnull}",
    )  # fmt: skip
    assert result.exit_code == EXIT_FINDINGS, result.output


def test_a_report_to_dev_stdout_appends_to_a_redirected_log(tmp_path: Path) -> None:
    """`-o json:/dev/stdout > ci.log` must not rename a new file over the log: what the job wrote
    before, and the console report after, stay in it."""
    import subprocess
    import sys

    log = tmp_path / "ci.log"
    with open(log, "wb") as out:
        out.write(b"earlier job output\n")
        out.flush()
        proc = subprocess.run(
            [sys.executable, "-m", "amlguard", "check", "--snapshot", str(DRIFTED),
             "-o", "json:/dev/stdout", "-o", "console:-", "--color", "never"],
            stdout=out, stderr=subprocess.PIPE, cwd=tmp_path, check=False,
        )  # fmt: skip
    assert proc.returncode == EXIT_FINDINGS, proc.stderr
    text = log.read_text(encoding="utf-8")
    assert text.startswith("earlier job output\n")
    assert '"schema_version"' in text and "FAILED: 12 failing finding(s)" in text


@pytest.mark.parametrize("second", ["sarif", "json", "junit"])
def test_two_reports_to_one_file_are_refused_before_writing(tmp_path: Path, second: str) -> None:
    out = tmp_path / "report.out"
    result = run("check", "--snapshot", str(DRIFTED), "-o", f"json:{out}", "-o", f"{second}:{out}")
    assert result.exit_code == EXIT_USAGE, result.output
    assert "write to the same file" in result.stderr and not out.exists()


def test_two_reports_may_both_go_to_dev_null() -> None:
    result = run("check", "--snapshot", str(DRIFTED), "-q",
                 "-o", f"json:{os.devnull}", "-o", f"sarif:{os.devnull}")  # fmt: skip
    assert result.exit_code == EXIT_FINDINGS, result.output
