"""``amlguard export retry``: sends the spool now; exit 0 when it is empty, 3 when it is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.export import export_findings
from tests.emulator import ingestion
from tests.emulator.server import Emulator
from tests.export.helpers import ROOT, SECRET, factory, scan_result, url

Ingest = tuple[Emulator, ingestion.Ingestion]


def _retry(emu: Emulator, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["export", "retry", "--url", url(emu), "--ca-bundle", emu.ca_path, *extra],
        env={"AMLGUARD_ACCESS_TOKEN": SECRET},
    )
    return result.exit_code, result.output


def test_retry_sends_the_spool_and_then_has_nothing(ingest: Ingest, state_dir: Path) -> None:
    emu, state = ingest
    outage = ingestion.fail_next(emu, 503, 10_000, {"Retry-After": "60"})
    failed = export_findings(
        scan_result(ROOT / "examples/estates/drifted.json"), url(emu), factory(emu), budget_s=1
    )
    assert failed.spooled == 1
    code, out = _retry(emu, "--budget", "1")
    assert code == 3 and "HTTP 503" in out and "kept in" in out
    outage.times = 0
    code, out = _retry(emu)
    assert code == 0, out
    assert f"{failed.rows} of {failed.rows} row(s) accepted" in out
    assert len(state.accepted) == failed.rows
    code, out = _retry(emu)
    assert code == 0 and "nothing spooled" in out
    assert SECRET not in out


@pytest.mark.parametrize("bad", ["http://x/dataCollectionRules/a/streams/b", "https://x/y"])
def test_a_bad_url_exits_2(bad: str) -> None:
    result = CliRunner().invoke(cli, ["export", "retry", "--url", bad])
    assert result.exit_code == 2 and "--url " in result.output
