"""The gate never goes green on drift: what a CI job or a scheduled scan sees (issue 10).

Through the real CLI: selections that leave nothing, scopes that do not exist or hold nothing,
the --fail-on-new verdict, snapshots as evidence, outputs that would lose data, interrupts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES, ROOT
from tests.emulator import arg
from tests.emulator.server import Emulator, Fault

DRIFTED = EXAMPLES / "drifted.json"
COMPLIANT = EXAMPLES / "compliant.json"
TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"
FORMATS = ("console", "json", "junit", "sarif", "markdown", "html")


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def _live(emu: Emulator) -> list[str]:
    return ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


# ------------------------------------------------------------------ nothing selected


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--severity", "critical"], "--severity critical"),
        (["--rule", "AMLG-101", "--skip-rule", "AMLG-101"], "--skip-rule AMLG-101"),
        (["--tag", "no-such-tag"], "--tag no-such-tag"),
        (["--rule", "AMLG-301", "--severity", "high"], "--severity high"),
    ],
)
def test_a_selection_that_leaves_no_rule_is_exit_2_naming_it(args: list[str], named: str) -> None:
    result = run("check", "--snapshot", str(DRIFTED), *args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert named in result.stderr and "no rule is selected" in result.stderr


def test_a_config_severity_that_leaves_no_rule_is_named_too(tmp_path: Path) -> None:
    cfg = tmp_path / "amlguard.yaml"
    cfg.write_text("version: 1\nrules:\n  min_severity: critical\n", encoding="utf-8")
    result = run("check", "--snapshot", str(DRIFTED), "--config", str(cfg))
    assert result.exit_code == EXIT_USAGE
    assert "rules.min_severity critical" in result.stderr


def test_empty_rule_and_format_values_are_usage_errors() -> None:
    assert run("check", "--snapshot", str(DRIFTED), "--rule", "").exit_code == EXIT_USAGE
    result = run("check", "--snapshot", str(DRIFTED), "--format", "")
    assert result.exit_code == EXIT_USAGE and "--format" in result.stderr


# ------------------------------------------------------------------ scopes


def test_a_missing_resource_group_is_a_gap_naming_it_in_every_format(token: None) -> None:
    rows, _ = read_snapshot(COMPLIANT)
    with Emulator(rows) as emu:
        arg.install(emu)
        for fmt in FORMATS:
            result = run("check", "-g", "nope-rg", "--format", fmt, *_live(emu))
            assert result.exit_code == EXIT_INCOMPLETE, (fmt, result.output)
            assert "resource group nope-rg not found" in result.stdout, fmt


def test_an_empty_readable_scope_warns_and_fails_only_when_asked(token: None) -> None:
    rows, _ = read_snapshot(COMPLIANT)
    sub = rows[0]["subscriptionId"]
    with Emulator(rows) as emu:
        graph = arg.install(emu)
        graph.resource_groups.add(f"/subscriptions/{sub}/resourceGroups/empty-rg")
        for fmt in FORMATS:
            result = run("check", "-g", "empty-rg", "--format", fmt, *_live(emu))
            assert result.exit_code == EXIT_OK, (fmt, result.output)
            assert "no Azure Machine Learning workspace was found" in result.stdout, fmt
        strict = run("check", "-g", "empty-rg", "--fail-on-empty", "--format", "json", *_live(emu))
        assert strict.exit_code == EXIT_INCOMPLETE
        gaps = json.loads(strict.stdout)["source"]["gaps"]
        assert any("--fail-on-empty" in g["reason"] for g in gaps)


def test_fail_on_empty_from_the_config_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    cfg = tmp_path / "amlguard.yaml"
    cfg.write_text("version: 1\nfail_on_empty: true\n", encoding="utf-8")
    assert run("check", "--snapshot", str(empty)).exit_code == EXIT_OK
    result = run("check", "--snapshot", str(empty), "--config", str(cfg))
    assert result.exit_code == EXIT_INCOMPLETE
    flag = run("check", "--snapshot", str(empty), "--config", str(cfg), "--no-fail-on-empty")
    assert flag.exit_code == EXIT_OK  # a flag wins over the file


def test_a_subscription_name_resolves_to_its_id_or_is_refused(token: None) -> None:
    rows, _ = read_snapshot(DRIFTED)
    sub = rows[0]["subscriptionId"]
    with Emulator(rows) as emu:
        graph = arg.install(emu)
        graph.subscription_names[sub] = "Contoso ML Prod"
        by_name = run("check", "--subscription", "contoso ml prod", "-f", "json", *_live(emu))
        by_id = run("check", "--subscription", sub, "-f", "json", *_live(emu))
        assert by_name.exit_code == by_id.exit_code == EXIT_FINDINGS, by_name.output
        assert json.loads(by_name.stdout)["findings"] == json.loads(by_id.stdout)["findings"]
        unknown = run("check", "--subscription", "Nope", *_live(emu))
        assert unknown.exit_code == EXIT_USAGE
        assert "use the subscription id" in unknown.stderr


# ------------------------------------------------------------------ --fail-on-new


def test_fail_on_new_verdict_describes_the_gate(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    first = run("check", "--snapshot", str(DRIFTED), "--history", str(db), "--fail-on-new")
    assert first.exit_code == EXIT_FINDINGS
    assert "FAILED the gate: 12 new failure(s) at or above low; 0 known." in first.stdout
    again = run("check", "--snapshot", str(DRIFTED), "--history", str(db), "--fail-on-new")
    assert again.exit_code == EXIT_FINDINGS  # a re-run: the failed scan accepted nothing
    assert "(no earlier scan of this scope passed this gate)" in " ".join(again.stdout.split())
    adopt = run("check", "--snapshot", str(DRIFTED), "--history", str(db))  # the gate off
    assert adopt.exit_code == EXIT_FINDINGS
    again = run("check", "--snapshot", str(DRIFTED), "--history", str(db), "--fail-on-new")
    assert again.exit_code == EXIT_OK
    assert "PASSED the gate: 0 new failures at or above low; 12 known (since scan 3)." in (
        " ".join(again.stdout.split())
    )
    assert "FAILED" not in again.stdout.replace("FAILED the gate", "")
    md = run(
        "check", "--snapshot", str(DRIFTED), "--history", str(db), "--fail-on-new", "-f", "markdown"
    )
    assert md.exit_code == EXIT_OK and "PASSED the gate" in md.stdout


def test_with_a_baseline_fail_on_new_never_passes_what_the_baseline_lacks(tmp_path: Path) -> None:
    """The baseline is the reviewed acceptance: a retry must not pass failures outside it
    because the previous scan recorded them, and its own failures never gate."""
    db, empty, full = tmp_path / "h.db", tmp_path / "empty.json", tmp_path / "full.json"
    assert run("baseline", "create", "--snapshot", str(COMPLIANT), "-o", str(empty)).exit_code == 0
    assert run("baseline", "create", "--snapshot", str(DRIFTED), "-o", str(full)).exit_code == 0
    gate = ["--history", str(db), "--history-scope", "s", "--fail-on-new"]
    for _ in range(2):  # the second run is a pipeline's retry
        res = run("check", "--snapshot", str(DRIFTED), "--baseline", str(empty), *gate)
        assert res.exit_code == EXIT_FINDINGS, res.output
        assert "FAILED: 12 failing finding(s) at or above low." in res.stdout
        assert "PASSED" not in res.stdout
    # Another scope: its first scan calls everything new, yet the baseline accepts them all.
    gate[3] = "t"
    res = run("check", "--snapshot", str(DRIFTED), "--baseline", str(full), *gate)
    assert res.exit_code == EXIT_OK, res.output
    assert "12 known from the baseline" in res.stdout


# ------------------------------------------------------------------ snapshots as evidence


def test_a_snapshot_is_judged_in_the_cloud_it_records(tmp_path: Path) -> None:
    doc = {"amlguard_snapshot": {"cloud": "AzureUSGovernment"}, "data": read_snapshot(DRIFTED)[0]}
    snap = tmp_path / "gov.json"
    snap.write_text(json.dumps(doc), encoding="utf-8")
    # The recorded cloud's zone names: the commercial zones of this estate do not satisfy it.
    gov = json.loads(
        run("check", "--snapshot", str(snap), "--rule", "AMLG-109", "-f", "json").stdout
    )
    public = json.loads(
        run("check", "--snapshot", str(DRIFTED), "--rule", "AMLG-109", "-f", "json").stdout
    )
    assert [f["status"] for f in gov["findings"]] == ["fail"]
    assert [f["status"] for f in public["findings"]] == ["pass"]
    clash = run("check", "--snapshot", str(snap), "--cloud", "AzureCloud")
    assert clash.exit_code == EXIT_USAGE and "AzureUSGovernment" in clash.stderr
    same = run("check", "--snapshot", str(snap), "--cloud", "AzureUSGovernment")
    assert same.exit_code == EXIT_FINDINGS


def test_the_same_snapshot_from_two_folders_is_one_history_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "h.db"
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path)
    run("check", "--snapshot", str(DRIFTED), "--history", str(db))
    monkeypatch.chdir(tmp_path / "a")
    rel = os.path.relpath(DRIFTED, tmp_path / "a")
    second = run("check", "--snapshot", rel, "--history", str(db), "--fail-on-new")
    assert second.exit_code == EXIT_OK, second.output  # compared with the first: nothing new


# ------------------------------------------------------------------ outputs


def test_output_dash_is_standard_output() -> None:
    result = run("check", "--snapshot", str(DRIFTED), "-o", "json:-")
    assert result.exit_code == EXIT_FINDINGS
    assert json.loads(result.stdout)["summary"]["instances"] == 1


@pytest.mark.parametrize(
    "outputs",
    [
        lambda d: ["-o", f"json:{d}/a.json", "-o", f"sarif:{d}/a.json"],
        lambda d: ["-o", f"json:{d}/snap.json"],
        lambda d: ["-o", f"json:{d}"],
        lambda d: ["-o", "json:-", "-f", "sarif"],
    ],
)
def test_outputs_that_would_lose_data_are_refused(tmp_path: Path, outputs: object) -> None:
    snap = tmp_path / "snap.json"
    snap.write_bytes(DRIFTED.read_bytes())
    before = snap.read_bytes()
    result = run("check", "--snapshot", str(snap), *outputs(tmp_path))  # type: ignore[operator]
    assert result.exit_code == EXIT_USAGE, result.output
    assert snap.read_bytes() == before and not (tmp_path / "a.json").exists()


def test_header_says_what_was_loaded(tmp_path: Path) -> None:
    cfg = tmp_path / "amlguard.yaml"
    cfg.write_text("version: 1\n", encoding="utf-8")
    result = run(
        "check", "--snapshot", str(DRIFTED), "--config", str(cfg), "-o", f"json:{tmp_path}/r.json"
    )
    text = "".join(result.stdout.split())  # the console wraps long lines anywhere
    assert f"config{cfg}" in text
    from amlguard.scanner.rules import load_pack

    # Opt-in (hardening) rules are not loaded by default.
    # (but those on by default somewhere, default_on_when, are)
    n = len([r for r in load_pack([]).rules if "hardening" not in r.tags or r.default_on_when])
    assert f"{n}rule(s):{n}built-in,0custom" in text
    assert f"outputsjson:{tmp_path}/r.json" in text


def test_help_is_grouped_by_area() -> None:
    text = run("check", "--help").stdout
    heads = [line for line in text.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert [h.split(":")[0] for h in heads] == [
        "Options",
        "Scan",
        "Output",
        "Gate",
        "History",
        "Fix",
        "Live",
    ]
    for flag in (
        "-f, --format",
        "-o, --output",
        "-y, --yes",
        "-g, --resource-group",
        "--skip-rule",
        "--color",
        "--debug",
    ):
        assert flag in text


# ------------------------------------------------------------------ interrupts


def _process(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "amlguard", *args],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_live_scan_exits_cleanly_with_no_partial_file(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    rows, _ = read_snapshot(DRIFTED)
    out = tmp_path / "report.json"
    db = tmp_path / "h.db"
    with Emulator(rows) as emu:
        arg.install(emu)
        # Every query hangs long enough to be interrupted.
        emu.add_fault(Fault("POST", "resources$", status=0, delay=8.0, times=100))
        proc = _process(
            ["check", *_live(emu), "-o", f"json:{out}", "--history", str(db)],
            {"AMLGUARD_ACCESS_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path / "s")},
        )
        # Once the scan has sent its first query (not after a fixed sleep: on a loaded machine
        # the start-up imports alone can outlast one, and a signal then kills before the
        # handler exists), it is stopped mid-scan.
        waited = time.monotonic() + 60
        while not emu.requests("POST", "Microsoft.ResourceGraph") and time.monotonic() < waited:
            time.sleep(0.05)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and stderr.strip().splitlines()[-1].startswith("amlguard: ")
    assert not out.exists() and not list(tmp_path.glob(".report.json*"))


# ------------------------------------------------------------------ Resource Graph lag


def test_confirm_rereads_failing_resources_from_arm(token: None) -> None:
    import copy

    from tests.emulator import network

    rows, _ = read_snapshot(DRIFTED)
    with Emulator(rows, arg_lag=600) as emu:  # Resource Graph is 10 minutes behind ARM
        network.install(emu)
        arg.install(emu)
        storage = next(r for r in rows if r["type"] == "microsoft.storage/storageaccounts")
        fixed = copy.deepcopy(storage)
        fixed["properties"]["publicNetworkAccess"] = "Disabled"
        emu.write(fixed)  # someone fixed it in ARM a moment ago
        stale = json.loads(run("check", "--rule", "AMLG-201", "-f", "json", *_live(emu)).stdout)
        assert [f["status"] for f in stale["findings"]] == ["fail"]
        result = run("check", "--rule", "AMLG-201", "--confirm", "-f", "json", *_live(emu))
        assert result.exit_code == EXIT_OK, result.output
        doc = json.loads(result.stdout)
        assert [f["status"] for f in doc["findings"]] == ["pass"]
        assert doc["source"]["stats"]["confirmed_from_arm"] == 2  # the account and its workspace
        assert any("no longer hold" in w for w in doc["warnings"])


def test_an_interrupted_fix_exits_130_with_no_partial_report(tmp_path: Path) -> None:
    from tests.emulator import network

    rows, _ = read_snapshot(DRIFTED)
    out = tmp_path / "after.json"
    with Emulator(rows) as emu:
        network.install(emu)
        arg.install(emu)
        for method in ("PUT", "PATCH"):  # every write hangs long enough to be interrupted
            emu.add_fault(Fault(method, "/providers/", status=0, delay=6.0, times=100))
        proc = _process(
            ["check", "--fix", "--yes", *_live(emu), "-o", f"json:{out}"],
            {"AMLGUARD_ACCESS_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path / "s")},
        )
        deadline = time.monotonic() + 60
        while not emu.writes() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert emu.writes(), "the fix never started writing"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "amlguard: interrupted" in stderr
    assert not out.exists() and not list(tmp_path.glob(".after.json*"))


@pytest.mark.parametrize("kind", ["missing", "directory", "binary"])
def test_an_unusable_sarif_artifact_is_exit_2(tmp_path: Path, kind: str) -> None:
    artifact = tmp_path / "main.bicep"
    if kind == "directory":
        artifact.mkdir()
    elif kind == "binary":
        artifact.write_bytes(b"\x00\x01\x02 not text")
    result = run("check", "--snapshot", str(DRIFTED), "--sarif-artifact", str(artifact))
    assert result.exit_code == EXIT_USAGE
    assert "--sarif-artifact" in result.stderr and "Traceback" not in result.output


def test_a_config_path_that_is_a_directory_is_exit_2(tmp_path: Path) -> None:
    result = run("check", "--snapshot", str(DRIFTED), "--config", str(tmp_path))
    assert result.exit_code == EXIT_USAGE and "a directory" in result.stderr


def test_a_busy_history_still_writes_the_reports_and_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from amlguard.history import store

    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.2)
    db = tmp_path / "h.db"
    assert run("check", "--snapshot", str(DRIFTED), "--history", str(db)).exit_code == 1
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another scan is writing
    try:
        out = tmp_path / "r.json"
        result = run("check", "--snapshot", str(DRIFTED), "--history", str(db), "-o", f"json:{out}")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == EXIT_INCOMPLETE, result.output
    assert "history busy" in result.stderr and out.exists()
    assert any("not recorded" in w for w in json.loads(out.read_text())["warnings"])


def test_templates_of_two_repositories_are_two_history_scopes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same relative file names in two checkouts must not share a history scope, or the
    second repository's failures would be 'known' from the first's."""
    import shutil

    source = ROOT / "tests" / "iac" / "data" / "own" / "blueprint"
    db = tmp_path / "h.db"
    scopes = []
    for repo in ("repoA", "repoB"):
        (tmp_path / repo).mkdir()
        for name in ("azuredeploy.json", "azuredeploy.parameters.json"):
            shutil.copy(source / name, tmp_path / repo / name)
        monkeypatch.chdir(tmp_path / repo)
        res = run(
            "check", "--template", "azuredeploy.json", "--parameters",
            "azuredeploy.parameters.json", "--deployment-location", "westeurope",
            "--history", str(db), "--fail-on-new", "-q",
        )  # fmt: skip
        assert res.exit_code == EXIT_OK, res.output
        assert "(the first scan of this scope)" in res.stderr
        import sqlite3

        with sqlite3.connect(db) as conn:
            scopes.append(conn.execute("SELECT scope FROM scans ORDER BY id DESC").fetchone()[0])
    assert scopes[0] != scopes[1]
    assert str(tmp_path / "repoB" / "azuredeploy.json") in scopes[1]
    assert "parameters " + str(tmp_path / "repoB" / "azuredeploy.parameters.json") in scopes[1]
