"""``check -o log-analytics:URL`` end to end: the exporter is one more output of the one run path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_USAGE
from tests.emulator import ingestion
from tests.emulator.server import Emulator
from tests.export.helpers import SECRET, url

DRIFTED = Path(__file__).resolve().parents[2] / "examples" / "estates" / "drifted.json"


@pytest.fixture
def env(
    ingest: tuple[Emulator, ingestion.Ingestion], state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Emulator, ingestion.Ingestion]:
    emu, _ = ingest
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", SECRET)
    monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
    return ingest


def test_check_exports_every_finding_and_the_report_counts_them(
    env: tuple[Emulator, ingestion.Ingestion],
) -> None:
    emu, state = env
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(DRIFTED), "-f", "json", "-o", f"log-analytics:{url(emu)}"]
    )
    assert result.exit_code == EXIT_FINDINGS, result.output
    doc = json.loads(result.stdout)
    findings = [r for r in state.accepted if r.get("RowType") == "finding"]
    assert len(findings) == len(doc["findings"])
    (stats,) = doc["source"]["stats"]["log_analytics"]
    assert stats["sent"] == stats["accepted"] == len(state.accepted) and stats["error"] is None
    assert SECRET not in result.output


def test_a_failed_export_is_exit_3_with_the_cause_and_the_reports_still_written(
    env: tuple[Emulator, ingestion.Ingestion], tmp_path: Path
) -> None:
    emu, _ = env
    ingestion.fail_next(emu, 400, times=50)
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--snapshot",
            str(DRIFTED),
            "-o",
            f"json:{out}",
            "-o",
            f"log-analytics:{url(emu)}",
        ],
    )
    assert result.exit_code == EXIT_INCOMPLETE, result.output
    assert out.exists()  # the reports are written whatever the export did
    assert "HTTP 400" in result.stderr or "400" in result.stderr, result.stderr
    assert "spool" in result.stderr
    assert SECRET not in result.output


def test_a_bad_ingestion_url_is_exit_2_before_the_scan() -> None:
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(DRIFTED), "-o", "log-analytics:http://nope/x"]
    )
    assert result.exit_code == EXIT_USAGE and "Traceback" not in result.output
