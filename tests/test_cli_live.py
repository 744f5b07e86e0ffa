"""The CLI's live path: check without --snapshot, the snapshot command, and a real process run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from amlguard.cli import cli
from amlguard.scanner.sources.snapshot import read_snapshot
from amlguard.scanner.yamlsource import schema
from tests.conftest import EXAMPLES, ROOT
from tests.emulator import arg
from tests.emulator.server import Emulator
from tests.emulator.standalone import running
from tests.make_examples import SUB_A, SUB_B
from tests.scanner.test_resourcegraph_faults import _cross_subscription_estate

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"


@pytest.fixture
def drifted_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    rows, _ = read_snapshot(EXAMPLES / "drifted.json")
    with Emulator(rows) as emu:
        arg.install(emu)
        yield emu


def _live(emu: Emulator) -> list[str]:
    return ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]


def _findings(text: str) -> list[dict]:
    return json.loads(text)["findings"]


def test_check_without_snapshot_scans_live_and_matches_the_snapshot_check(
    drifted_emulator: Emulator,
) -> None:
    runner = CliRunner()
    live = runner.invoke(cli, ["check", "--format", "json", *_live(drifted_emulator)])
    offline = runner.invoke(
        cli, ["check", "--format", "json", "--snapshot", str(EXAMPLES / "drifted.json")]
    )
    assert live.exit_code == offline.exit_code == 1, live.output
    assert _findings(live.stdout) == _findings(offline.stdout)
    doc = json.loads(live.stdout)
    problems = [
        e.message for e in Draft202012Validator(schema("findings.schema.json")).iter_errors(doc)
    ]
    assert problems == []
    source = doc["source"]
    assert source["kind"] == "resource-graph" and source["complete"] is True
    assert (
        source["stats"]["resource_graph_requests"] == 5  # + role definitions
        and source["stats"]["arm_gets"] == 8
    )  # 6 zone groups, 1 connections list, 1 datastores list
    headers = [r.headers["authorization"] for r in drifted_emulator.requests()]
    assert headers and all(h == f"Bearer {TOKEN}" for h in headers)


def test_snapshot_round_trip_reproduces_the_live_findings(
    drifted_emulator: Emulator, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "estate.json.gz"
    made = runner.invoke(cli, ["snapshot", "-o", str(out), *_live(drifted_emulator)])
    assert made.exit_code == 0, made.output
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    live = runner.invoke(cli, ["check", "--format", "json", *_live(drifted_emulator)])
    again = runner.invoke(cli, ["check", "--format", "json", "--snapshot", str(out)])
    assert _findings(again.stdout) == _findings(live.stdout)


def test_incomplete_scan_exits_3_in_check_and_snapshot_and_the_snapshot_keeps_the_gaps(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    runner = CliRunner()
    scope = ["--subscription", SUB_A, "--subscription", SUB_B]
    with Emulator(_cross_subscription_estate()) as emu:
        arg.install(emu, forbidden={SUB_B})
        live = runner.invoke(cli, ["check", *_live(emu), *scope])
        live_json = runner.invoke(cli, ["check", "--format", "json", *_live(emu), *scope])
        snap = runner.invoke(cli, ["snapshot", "-o", str(tmp_path / "s.json"), *_live(emu), *scope])
    assert live.exit_code == live_json.exit_code == snap.exit_code == 3
    assert "SCAN INCOMPLETE" in "\n".join(live.stdout.splitlines()[:5])  # at the top
    assert SUB_B in live.stdout
    assert "SCAN INCOMPLETE" in snap.stderr
    offline = runner.invoke(
        cli, ["check", "--format", "json", "--snapshot", str(tmp_path / "s.json")]
    )
    assert offline.exit_code == 3
    assert _findings(offline.stdout) == _findings(live_json.stdout)
    assert json.loads(offline.stdout)["source"]["complete"] is False
    validator = Draft202012Validator(schema("findings.schema.json"))
    assert [e.message for e in validator.iter_errors(json.loads(live_json.stdout))] == []


def test_live_flags_are_rejected_with_snapshot_and_bad_values_are_usage_errors() -> None:
    runner = CliRunner()
    mixed = runner.invoke(
        cli, ["check", "--snapshot", str(EXAMPLES / "drifted.json"), "--subscription", "x"]
    )
    assert mixed.exit_code == 2 and "--subscription" in mixed.stderr
    plain = runner.invoke(cli, ["check", "--arm-endpoint", "http://127.0.0.1:1"])
    assert plain.exit_code == 2 and "https" in plain.stderr
    both = runner.invoke(
        cli,
        [
            "check",
            "--subscription",
            "a",
            "--management-group",
            "b",
            "--arm-endpoint",
            "https://127.0.0.1:1",
        ],
    )
    assert both.exit_code == 2 and "cannot be combined" in both.stderr
    batch = runner.invoke(cli, ["snapshot", "-o", "x.json", "--batch-size", "5000"])
    assert batch.exit_code == 2 and "--batch-size" in batch.stderr


def test_debug_log_lists_queries_with_quota_and_never_the_token(drifted_emulator: Emulator) -> None:
    result = CliRunner().invoke(
        cli, ["check", *_live(drifted_emulator), "--log-level", "debug", "--fail-on", "none"]
    )
    assert result.exit_code == 0
    assert "resources query on subscription" in result.stderr
    assert "quota remaining 13" in result.stderr
    assert TOKEN not in result.stderr and TOKEN.split(".")[0] not in result.stderr


def test_cli_process_against_the_standalone_emulator(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AMLGUARD_ACCESS_TOKEN": TOKEN}
    with running(EXAMPLES / "drifted.json", "--quota", "15/5", env=env) as (url, ca):
        assert url.startswith("https://127.0.0.1:")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "amlguard",
                "check",
                "--format",
                "json",
                "--arm-endpoint",
                url,
                "--ca-bundle",
                ca,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""  # stderr is not a terminal: no progress display
    offline = CliRunner().invoke(
        cli, ["check", "--format", "json", "--snapshot", str(EXAMPLES / "drifted.json")]
    )
    assert _findings(done.stdout) == _findings(offline.stdout)


def test_cloud_sets_the_dns_zones_rules_expect_also_for_snapshots() -> None:
    runner = CliRunner()
    estate = str(EXAMPLES / "compliant.json")
    public = runner.invoke(cli, ["check", "--snapshot", estate])
    china = runner.invoke(
        cli, ["check", "--snapshot", estate, "--cloud", "AzureChinaCloud", "--format", "json"]
    )
    assert public.exit_code == 0
    assert china.exit_code == 1  # the estate's zones are public-cloud names
    failing = {f["rule_id"] for f in _findings(china.stdout) if f["status"] == "fail"}
    assert "AMLG-233" in failing


def test_config_scope_applies_when_no_scope_flag_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    cfg = tmp_path / "amlguard.yaml"
    cfg.write_text(
        f"version: 1\nscope:\n  subscriptions: [{SUB_A}]\n  resource_groups: [ml-prod, ml-research]\n",
        encoding="utf-8",
    )
    rows, _ = read_snapshot(EXAMPLES / "multi-workspace.json")
    runner = CliRunner()
    with Emulator(rows) as emu:
        arg.install(emu)
        from_config = runner.invoke(
            cli, ["check", "--format", "json", "--config", str(cfg), *_live(emu)]
        )
        flagged = runner.invoke(
            cli,
            [
                "check",
                "--format",
                "json",
                "--config",
                str(cfg),
                *_live(emu),
                "--subscription",
                SUB_B,
            ],
        )
    instances = {f["instance"].split("/")[4] for f in _findings(from_config.stdout)}
    assert instances == {"ml-prod", "ml-research"}
    assert {f["instance"].split("/")[2] for f in _findings(flagged.stdout)} == {SUB_B}


def test_endpoint_and_ca_bundle_from_the_environment(
    drifted_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", drifted_emulator.url)
    monkeypatch.setenv("AMLGUARD_CA_BUNDLE", drifted_emulator.ca_path)
    runner = CliRunner()
    live = runner.invoke(cli, ["check", "--quiet", "--format", "json"])
    offline = runner.invoke(
        cli, ["check", "--format", "json", "--snapshot", str(EXAMPLES / "drifted.json")]
    )
    assert live.exit_code == offline.exit_code == 1, live.output  # env defaults do not clash
    assert _findings(live.stdout) == _findings(offline.stdout)
