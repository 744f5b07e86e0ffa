"""``amlguard apply`` on hostile input: non-regular plan and CA files are refused at once (never
read, never a hang), a mangled plan is exit 2, and no answer to the prompt declines (exit 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_USAGE
from tests.conftest import EXAMPLES, ROOT
from tests.emulator import arg, network
from tests.emulator.server import Emulator
from tests.remediate.conftest import drifted_rows

DRIFTED = str(EXAMPLES / "drifted.json")


@pytest.fixture(scope="module")
def plan_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real plan, written by check --fix --plan-out over the drifted example."""
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    res = CliRunner().invoke(
        cli, ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(path)]
    )
    assert res.exit_code == EXIT_FINDINGS and path.is_file()
    return path.read_text(encoding="utf-8")


def _real_apply(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The real entry point in a fresh interpreter, stdin closed (``</dev/null``)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "amlguard", "apply", *args],
        env=full,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,  # a hang fails the test instead of the run
        check=False,
    )


def _no_traceback(res: Result) -> None:
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "dev-null"])
def test_a_plan_that_is_no_regular_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = str(tmp_path / "plan.json")
        os.mkfifo(target)
    else:
        target = {"dev-zero": "/dev/zero", "directory": str(tmp_path), "dev-null": "/dev/null"}[
            kind
        ]
    done = _real_apply(target, "--dry-run")
    assert done.returncode == EXIT_USAGE, done.stderr
    assert f"{target}: is " in done.stderr and "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr


def test_a_missing_plan_names_the_file(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["apply", str(tmp_path / "nope.json")])
    _no_traceback(res)
    assert res.exit_code == EXIT_USAGE and "nope.json: plan file not found" in res.output


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        '{"format": "amlguard-plan/v1", "format": "x"}',  # duplicate key
        "[" * 100_000,  # nesting deeper than any plan
        '{"format": NaN}',
        "\ud800",
    ],
    ids=["empty", "blank", "duplicate-key", "deep", "nan", "surrogate"],
)
def test_a_mangled_plan_is_an_input_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    res = CliRunner().invoke(cli, ["apply", str(path), "--dry-run"])
    _no_traceback(res)
    assert res.exit_code == EXIT_USAGE and str(path) in res.output


@settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_cut_or_spliced_plan_is_refused_whole(
    tmp_path: Path, plan_text: str, monkeypatch: pytest.MonkeyPatch, data: st.DataObject
) -> None:
    # Only the actions are covered by the digest (what is written), so mangle within them.
    first, last = plan_text.index('"actions"'), plan_text.index('"manual"')
    cut = data.draw(st.integers(first, last))
    junk = data.draw(st.text(alphabet='{}[]",:0a\\ \n', max_size=8))
    end = data.draw(st.integers(cut, min(last, cut + 40)))
    mangled = plan_text[:cut] + junk + plan_text[end:]
    try:
        same = json.loads(mangled)["actions"] == json.loads(plan_text)["actions"]
    except (ValueError, KeyError, TypeError):
        same = False
    if same:  # only whitespace moved: still the reviewed plan
        return
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")  # never a credential chain on a miss
    monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", "https://127.0.0.1:9")
    path = tmp_path / "plan.json"
    path.write_text(mangled, encoding="utf-8")
    res = CliRunner().invoke(cli, ["apply", str(path), "--dry-run"])
    _no_traceback(res)
    assert res.exit_code == EXIT_USAGE, res.output
    assert str(path) in res.output


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "missing"])
def test_a_ca_bundle_that_is_no_regular_file_says_so(
    tmp_path: Path, plan_text: str, kind: str
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(plan_text, encoding="utf-8")
    ca = {"fifo": str(tmp_path / "ca.pem"), "dev-zero": "/dev/zero", "missing": "no-ca.pem"}[kind]
    if kind == "fifo":
        os.mkfifo(ca)
    env = {"AMLGUARD_ACCESS_TOKEN": "t", "AMLGUARD_ARM_ENDPOINT": "https://127.0.0.1:9"}
    done = _real_apply(str(plan), "--yes", "--ca-bundle", ca, env=env)
    assert done.returncode == EXIT_USAGE, done.stderr
    want = "file not found" if kind == "missing" else "not a regular file"
    assert f"--ca-bundle {ca}: " in done.stderr and want in done.stderr
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------ no answer to the prompt


def _emulated(monkeypatch: pytest.MonkeyPatch, emu: Emulator) -> dict[str, str]:
    env = {
        "AMLGUARD_ARM_ENDPOINT": emu.url,
        "AMLGUARD_CA_BUNDLE": emu.ca_path,
        "AMLGUARD_ACCESS_TOKEN": "t",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
    return env


def test_no_answer_declines_through_the_real_entry_point(
    tmp_path: Path, plan_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(plan_text, encoding="utf-8")
    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        arg.install(emu)  # apply re-checks DNS resolution from current data
        env = _emulated(monkeypatch, emu)
        env.pop("AZUREML_CURRENT_CLOUD", None)
        done = _real_apply(str(plan), env=env, timeout=120)  # stdin is /dev/null, no --yes
        assert emu.writes() == []
    assert done.returncode == EXIT_FINDINGS, done.stdout + done.stderr
    assert "interrupted" not in done.stderr
    assert "no answer" in done.stderr and "nothing was changed" in done.stdout


@pytest.mark.parametrize("answer", ["", "\n", "n\n"])
def test_an_empty_or_negative_answer_declines(
    tmp_path: Path, plan_text: str, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(plan_text, encoding="utf-8")
    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        arg.install(emu)  # apply re-checks DNS resolution from current data
        _emulated(monkeypatch, emu)
        res = CliRunner().invoke(cli, ["apply", str(plan)], input=answer)
        assert emu.writes() == []
    _no_traceback(res)
    assert res.exit_code == EXIT_FINDINGS, res.output
    assert "interrupted" not in res.output and "nothing was changed" in res.output


def test_the_plan_fixture_is_a_plan(plan_text: str) -> None:
    assert json.loads(plan_text)["format"] == "amlguard-plan/v1"


@pytest.mark.parametrize("victim", ["plan", "config"])
def test_an_audit_log_over_an_input_is_refused_before_any_write(
    tmp_path: Path, plan_text: str, victim: str
) -> None:
    """redteam8 item 11: the audit lines were appended to the reviewed plan or the config."""
    plan = tmp_path / "plan.json"
    plan.write_text(plan_text, encoding="utf-8")
    config = tmp_path / "amlguard.yaml"
    config.write_text("version: 1\n", encoding="utf-8")
    target = {"plan": plan, "config": config}[victim]
    args = ["apply", str(plan), "--yes", "--config", str(config), "--audit-log", str(target)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == EXIT_USAGE, res.output
    assert "--audit-log would overwrite" in res.stderr and "Traceback" not in res.output
    assert plan.read_text(encoding="utf-8") == plan_text
    assert config.read_text(encoding="utf-8") == "version: 1\n"
