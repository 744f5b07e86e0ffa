"""Wiring helpers: log-analytics outputs split from reports, checked early, and the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, InputError
from amlguard.export import ExportOutcome, exit_code, export_all, failures, split_outputs
from tests.emulator import ingestion
from tests.emulator.server import Emulator
from tests.export.helpers import ROOT, factory, scan_result, url

URL = (
    "https://x.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/"
    "dcr-00112233445566778899aabbccddeeff/streams/Custom-AmlGuardFindings"
)


def test_outputs_split_into_reports_and_urls() -> None:
    reports, urls = split_outputs(
        ["json:out.json", f"log-analytics:{URL}", "sarif", f"Log-Analytics:{URL}"]
    )
    assert reports == ["json:out.json", "sarif"]
    assert urls == [URL]  # the same URL once: rows are never sent twice


@pytest.mark.parametrize("spec", ["log-analytics:", "log-analytics:http://x/y", "log-analytics"])
def test_a_bad_log_analytics_output_is_a_usage_error(spec: str) -> None:
    with pytest.raises(InputError) as err:
        split_outputs([spec])
    assert err.value.exit_code == EXIT_USAGE and "--output log-analytics:" in str(err.value)


def test_a_failed_export_makes_the_exit_code_3() -> None:
    ok, bad = ExportOutcome(URL), ExportOutcome(URL, error="HTTP 403 Forbidden")
    assert exit_code(EXIT_OK, [ok]) == EXIT_OK
    assert exit_code(EXIT_FINDINGS, [ok]) == EXIT_FINDINGS
    assert exit_code(EXIT_OK, [ok, bad]) == EXIT_INCOMPLETE
    assert exit_code(EXIT_FINDINGS, [bad]) == EXIT_INCOMPLETE
    assert exit_code(EXIT_USAGE, [bad]) == EXIT_USAGE
    assert failures([ok, bad]) == [bad.summary()] and "HTTP 403" in bad.summary()


def test_export_all_sends_to_each_url(
    ingest: tuple[Emulator, ingestion.Ingestion], state_dir: Path
) -> None:
    emu, state = ingest
    other = url(emu).replace("0123456789abcdef0123456789abcdef", "a" * 32)
    result = scan_result(ROOT / "examples" / "estates" / "drifted.json")
    outcomes = export_all(result, [url(emu), other], factory(emu))
    assert [o.ok for o in outcomes] == [True, True]
    assert len(state.accepted) == 2 * (len(result.findings) + 1)


def test_looking_at_outputs_loads_neither_the_exporter_nor_azure() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from amlguard.export.outputs import split_outputs; "
        "split_outputs(['json:x.json']); "
        "print(sorted(m for m in sys.modules if m.startswith(('azure', 'amlguard.export.'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    ).stdout
    assert out.strip() == "['amlguard.export.outputs', 'amlguard.export.target']"
