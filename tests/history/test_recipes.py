"""The scheduled-scan recipes in ``examples/schedule/``: valid pipelines, and a cron script that
really keeps a history across runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from amlguard.history.store import HistoryStore
from tests.conftest import EXAMPLES, ROOT

RECIPES = ROOT / "examples" / "schedule"


@pytest.mark.parametrize(
    ("name", "schema", "extra"),
    [
        ("github-actions.yml", "vendor.github-workflows", []),
        # The vendored Azure Pipelines schema has patterns the default (unicode) regex engine
        # rejects; check-jsonschema's non-unicode ECMAScript mode reads them as intended.
        ("azure-pipelines.yml", "vendor.azure-pipelines", ["--regex-variant", "nonunicode"]),
    ],
)
def test_pipeline_validates_against_its_published_schema(
    name: str, schema: str, extra: list[str]
) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            schema,
            *extra,
            str(RECIPES / name),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "validation done" in proc.stdout


def _scan_step(steps: list[dict], needle: str) -> str:  # type: ignore[type-arg]
    return next(
        str(s.get("run") or s.get("inputs", {}).get("inlineScript"))
        for s in steps
        if needle in str(s.get("run") or s.get("inputs", {}).get("inlineScript") or "")
    )


def test_github_workflow_keeps_the_history_and_uploads_every_report() -> None:
    doc = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    assert doc[True]["schedule"][0]["cron"]  # YAML 1.1 reads the key `on` as True
    assert doc["permissions"]["id-token"] == "write"
    steps = doc["jobs"]["scan"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("azure/login@") for u in uses)
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore@"))
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    assert (
        restore["with"]["path"]
        == save["with"]["path"]
        == doc["jobs"]["scan"]["env"]["AMLGUARD_HISTORY"]
    )
    assert save["if"] == "always()"  # a failing scan must still keep its history
    scan = _scan_step(steps, "amlguard check")
    for flag in ("--fail-on-new", "sarif:", "junit:", "html:", "--history-scope"):
        assert flag in scan
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)


def test_azure_pipeline_keeps_the_history_whatever_the_verdict() -> None:
    doc = yaml.safe_load((RECIPES / "azure-pipelines.yml").read_text())
    assert doc["schedules"][0]["cron"]
    script = _scan_step(doc["steps"], "amlguard check")
    assert script.index("blob download") < script.index("amlguard check")
    assert (
        script.index("amlguard check") < script.index("blob upload") < script.index("exit $status")
    )
    for flag in ("--history ", "--fail-on-new", "junit:", "sarif:", "html:"):
        assert flag in script
    assert any(s.get("task", "").startswith("PublishTestResults@") for s in doc["steps"])


def test_crontab_line_runs_the_image_daily() -> None:
    lines = [
        line
        for line in (RECIPES / "cron" / "crontab").read_text().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(lines) == 1
    fields = lines[0].split()
    assert fields[:5] == ["17", "2", "*", "*", "*"]
    assert fields[5:7] == ["docker", "run"] and "amlguard-cron" in fields
    dockerfile = (RECIPES / "cron" / "Dockerfile").read_text()
    assert "examples/schedule/cron/scan.sh" in dockerfile and "VOLUME /data" in dockerfile


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_cron_script_keeps_a_history_across_runs(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "amlguard"  # this tree's amlguard, whatever is installed globally
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m amlguard "$@"\n')
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "AMLGUARD_HISTORY": str(tmp_path / "data" / "history.db"),
        "AMLGUARD_REPORTS": str(tmp_path / "data" / "reports"),
    }
    codes = []
    for estate in ("compliant.json", "drifted.json"):
        snapshot = tmp_path / "estate.json"  # the same path every night: the same scope
        shutil.copy(EXAMPLES / estate, snapshot)
        proc = subprocess.run(
            ["sh", str(RECIPES / "cron" / "scan.sh"), "--snapshot", str(snapshot)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        codes.append(proc.returncode)
    assert codes == [0, 1], proc.stderr
    assert "12 new failure(s)" in proc.stdout  # the drift cron would mail
    reports = tmp_path / "data" / "reports"
    assert 'data-failing="12"' in (reports / "latest.html").read_text()  # the overview row
    assert len(list(reports.glob("amlguard-*.json"))) == 2
    assert json.loads(sorted(reports.glob("amlguard-*.json"))[-1].read_text())["summary"]
    with HistoryStore(tmp_path / "data" / "history.db") as store:
        assert [s.failing for s in store.scans()] == [0, 12]
