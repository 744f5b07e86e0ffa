"""Delivery through the real SDK client to the emulator's ingestion route: nothing lost, nothing twice."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from amlguard.export import export_findings, retry_spool
from amlguard.export.batches import MAX_BATCH_BYTES, make_batches, minimum_requests
from amlguard.export.rows import RESERVED, build_rows
from amlguard.scanner.model import ScanResult
from tests.builders import blueprint
from tests.emulator import ingestion
from tests.emulator.server import Emulator
from tests.export.helpers import (
    DCR,
    ESTATES,
    ROOT,
    SECRET,
    STREAM,
    factory,
    report_findings,
    scan_result,
    url,
)

Ingest = tuple[Emulator, ingestion.Ingestion]
DRIFTED = ROOT / "examples" / "estates" / "drifted.json"


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["ScanId"], row["RowNumber"])


def _large(tmp_path: Path, instances: int = 120) -> ScanResult:
    rows = []
    for i in range(instances):
        inst = blueprint(rg=f"rg-{i}", prefix=f"ws{i}")
        if i % 3 == 0:
            inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
        rows += inst.rows()
    path = tmp_path / "large.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return scan_result(path)


@pytest.mark.parametrize("estate", ESTATES, ids=lambda p: p.name)
def test_every_finding_arrives_exactly_once(ingest: Ingest, state_dir: Path, estate: Path) -> None:
    emu, state = ingest
    result = scan_result(estate)
    outcome = export_findings(result, url(emu), factory(emu))
    assert outcome.ok, outcome.error
    assert outcome.sent == outcome.accepted == outcome.rows == len(result.findings) + 1
    assert outcome.requests == outcome.batches == 1 == len(emu.requests("POST"))
    assert not state.rejected
    scan_row, *rows = state.accepted
    assert scan_row["RowType"] == "scan"
    report = report_findings(result)
    assert [(r["RuleId"], r["ResourceId"], r["InstanceId"], r["Status"]) for r in rows] == [
        (f["rule_id"], f["resource_id"], f["instance"], f["status"]) for f in report
    ]
    for row in state.accepted:
        assert not {k.lower() for k in row} & RESERVED
    (request,) = emu.requests("POST")
    assert request.path == f"/dataCollectionRules/{DCR}/streams/{STREAM}"
    assert request.api_version == "2023-01-01"
    assert request.headers["content-encoding"] == "gzip"
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["authorization"] == f"Bearer {SECRET}"


def test_a_large_estate_goes_in_several_batches_under_1_mb(
    ingest: Ingest, state_dir: Path, tmp_path: Path
) -> None:
    emu, state = ingest
    result = _large(tmp_path)
    outcome = export_findings(result, url(emu), factory(emu))
    assert outcome.ok, outcome.error
    assert outcome.batches >= 3
    assert outcome.requests == outcome.batches == len(state.bodies) == len(emu.requests("POST"))
    expected = make_batches(build_rows(result, scan_id="x"))
    assert outcome.requests <= minimum_requests(expected) + 1
    for compressed, uncompressed, _ in state.bodies:
        assert compressed < uncompressed <= MAX_BATCH_BYTES
    # several requests in flight: every row once, in any order
    assert sorted(r["RowNumber"] for r in state.accepted) == list(range(len(result.findings) + 1))
    assert outcome.accepted == len(state.accepted) == outcome.rows


def test_a_429_storm_and_dropped_connections_complete_without_loss(
    ingest: Ingest, state_dir: Path, tmp_path: Path
) -> None:
    emu, state = ingest
    result = scan_result(DRIFTED)
    ingestion.fail_next(emu, 429, 4, {"retry-after-ms": "20"})
    ingestion.fail_next(emu, 429, 1, {"Retry-After": "1"})
    ingestion.fail_next(emu, 429, 1)  # no Retry-After: backoff, 0.5 s then doubling
    ingestion.drop_next(emu, 2)
    ingestion.fail_next(emu, 503, 1, {"x-ms-retry-after-ms": "10"})
    outcome = export_findings(result, url(emu), factory(emu))
    assert outcome.ok, outcome.error
    assert outcome.requests == 10 == len(emu.requests("POST"))
    assert len(state.accepted) == len({_key(r) for r in state.accepted}) == outcome.rows


def test_a_413_splits_the_batch(ingest: Ingest, state_dir: Path) -> None:
    emu, state = ingest
    ingestion.fail_next(emu, 413, 1)
    outcome = export_findings(scan_result(DRIFTED), url(emu), factory(emu))
    assert outcome.ok and outcome.requests == 3 and len(state.bodies) == 2
    assert [r["RowNumber"] for r in state.accepted] == list(range(outcome.rows))


def test_a_400_is_not_retried_and_is_spooled(ingest: Ingest, state_dir: Path) -> None:
    emu, state = ingest
    ingestion.fail_next(emu, 400, 5)
    outcome = export_findings(scan_result(DRIFTED), url(emu), factory(emu))
    assert not outcome.ok and outcome.requests == 1
    assert "HTTP 400" in (outcome.error or "") and "Http400" in (outcome.error or "")
    assert outcome.spooled == 1 and outcome.spooled_rows == outcome.rows
    assert not state.accepted


def test_persistent_failure_spools_and_the_next_run_sends_the_spool_first_once(
    ingest: Ingest, state_dir: Path
) -> None:
    emu, state = ingest
    outage = ingestion.fail_next(emu, 503, 10_000, {"Retry-After": "30"})
    first = export_findings(scan_result(DRIFTED), url(emu), factory(emu), budget_s=5)
    assert not first.ok and first.accepted == 0 and first.requests == 1
    assert "HTTP 503" in (first.error or "") and "retry budget of 5 s" in (first.error or "")
    assert first.spooled == 1 and first.spooled_rows == first.rows
    assert "export retry" in first.summary()
    outage.times = 0  # the service is back
    second = export_findings(scan_result(DRIFTED), url(emu), factory(emu))
    assert second.ok and second.from_spool == first.rows and second.spooled == 0
    assert second.accepted == first.rows + second.rows == len(state.accepted)
    scans = [r["ScanId"] for r in state.accepted if r["RowType"] == "scan"]
    assert len(set(scans)) == 2 and state.accepted[0]["ScanId"] == scans[0]  # spool first
    assert len({_key(r) for r in state.accepted}) == len(state.accepted)
    third = export_findings(scan_result(DRIFTED), url(emu), factory(emu))
    assert third.ok and third.from_spool == 0 and third.accepted == third.rows
    assert len(state.accepted) == first.rows + second.rows + third.rows


def test_a_budget_spent_on_backoff_gives_up(ingest: Ingest, state_dir: Path) -> None:
    emu, _ = ingest
    ingestion.fail_next(emu, 500, 10_000)
    outcome = export_findings(scan_result(DRIFTED), url(emu), factory(emu), budget_s=1.0)
    assert not outcome.ok and 1 < outcome.requests <= 4
    assert "HTTP 500" in (outcome.error or "") and "attempt(s)" in (outcome.error or "")


def test_retry_spool_sends_now_and_then_has_nothing(ingest: Ingest, state_dir: Path) -> None:
    emu, state = ingest
    outage = ingestion.fail_next(emu, 429, 10_000, {"Retry-After": "60"})
    failed = export_findings(scan_result(DRIFTED), url(emu), factory(emu), budget_s=1)
    assert failed.spooled == 1
    outage.times = 0
    retried = retry_spool(url(emu), factory(emu))
    assert retried.ok and retried.from_spool == failed.rows == len(state.accepted)
    again = retry_spool(url(emu), factory(emu))
    assert again.ok and again.sent == 0 and again.requests == 0


def test_the_spool_of_another_target_is_left_alone(ingest: Ingest, state_dir: Path) -> None:
    emu, _ = ingest
    outage = ingestion.fail_next(emu, 503, 10_000, {"Retry-After": "60"})
    export_findings(scan_result(DRIFTED), url(emu), factory(emu), budget_s=1)
    outage.times = 0
    other = url(emu).replace("0123456789abcdef0123456789abcdef", "f" * 32)
    ingestion_other = export_findings(scan_result(DRIFTED), other, factory(emu))
    assert ingestion_other.ok and ingestion_other.from_spool == 0
    assert retry_spool(url(emu), factory(emu)).from_spool > 0


def test_a_credential_that_fails_spools_everything(ingest: Ingest, state_dir: Path) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    from amlguard.azure.clients import AzureSettings, ClientFactory

    class NoToken:
        def get_token(self, *scopes: str, **kw: Any) -> Any:
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

        get_token_info = get_token

    emu, _ = ingest
    broken = ClientFactory(AzureSettings(ca_bundle=emu.ca_path), NoToken())
    outcome = export_findings(scan_result(DRIFTED), url(emu), broken)
    assert not outcome.ok and "no token for Azure Monitor" in (outcome.error or "")
    assert outcome.spooled_rows == outcome.rows and not emu.requests("POST")


def test_the_token_appears_nowhere(
    ingest: Ingest, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emu, _ = ingest
    caplog.set_level(logging.DEBUG)
    outage = ingestion.fail_next(emu, 401, 1)
    ingestion.fail_next(emu, 429, 2, {"retry-after-ms": "5"})
    failed = export_findings(scan_result(DRIFTED), url(emu), factory(emu), budget_s=2)
    assert not failed.ok and outage.times == 0
    spooled = [gzip.decompress(p.read_bytes()) for p in state_dir.rglob("*.json.gz")]
    assert spooled  # the spool was written, and holds rows only
    ok = export_findings(scan_result(DRIFTED), url(emu), factory(emu))
    assert ok.ok
    # the service did get the token, so its absence below means something
    assert emu.requests("POST")[0].headers["authorization"] == f"Bearer {SECRET}"
    texts = [caplog.text, failed.summary(), ok.summary(), json.dumps(ok.to_dict())]
    texts += [b.decode("utf-8", "replace") for b in spooled]
    texts += [p.read_text("utf-8", "replace") for p in state_dir.rglob("*") if p.is_file()]
    for text in texts:
        assert SECRET not in text
        assert SECRET.split(".")[1] not in text


def test_spool_files_are_private(ingest: Ingest, state_dir: Path) -> None:
    emu, _ = ingest
    ingestion.fail_next(emu, 403, 1)
    outcome = export_findings(scan_result(DRIFTED), url(emu), factory(emu))
    assert "HTTP 403" in (outcome.error or "")
    folder = Path(outcome.spool_dir)
    assert folder.is_relative_to(state_dir / "amlguard" / "spool")
    assert folder.stat().st_mode & 0o777 == 0o700
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600


def test_the_emulator_rejects_what_the_stream_does_not_declare() -> None:
    columns = ingestion.declared_streams()["Custom-AmlGuardFindings"]
    assert ingestion.check_rows([{"id": "x"}], columns) is not None
    assert ingestion.check_rows([{"Unknown": 1}], columns) is not None
    assert ingestion.check_rows([{"RowNumber": "1"}], columns) is not None
    assert ingestion.check_rows([{"TimeGenerated": "yesterday"}], columns) is not None
    assert ingestion.check_rows([{"RowNumber": 1, "Actual": [1]}], columns) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"x-ms-retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_reads_every_header_form(
    headers: dict[str, str], expected: float | None
) -> None:
    from azure.core.utils import case_insensitive_dict

    from amlguard.export.delivery import retry_after

    assert retry_after(case_insensitive_dict(headers)) == expected


def test_the_scope_of_the_token_is_azure_monitor(ingest: Ingest, state_dir: Path) -> None:
    from amlguard.azure.clients import AzureSettings, ClientFactory
    from tests.emulator.credentials import FakeCredential

    emu, _ = ingest
    credential = FakeCredential(SECRET)
    outcome = export_findings(
        scan_result(DRIFTED),
        url(emu),
        ClientFactory(AzureSettings(ca_bundle=emu.ca_path), credential),
    )
    assert outcome.ok and credential.scopes == [("https://monitor.azure.com/.default",)]
    assert set(outcome.to_dict()) >= {"sent", "accepted", "requests", "batches", "spooled", "error"}


def test_retry_after_zero_backs_off_and_attempts_are_capped(
    ingest: Ingest, state_dir: Path
) -> None:
    from amlguard.export.delivery import MAX_ATTEMPTS

    emu, _ = ingest
    ingestion.fail_next(emu, 429, 10_000, {"retry-after-ms": "1"})
    outcome = export_findings(scan_result(DRIFTED), url(emu), factory(emu))
    assert outcome.requests == MAX_ATTEMPTS and f"after {MAX_ATTEMPTS} attempts" in (
        outcome.error or ""
    )
    assert outcome.spooled == 1
