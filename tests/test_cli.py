"""The command line through click's CliRunner: exit codes, filters, formats, policies."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from amlguard.cli import _color_wanted, cli
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from amlguard.scanner.rules import load_pack
from tests.builders import blueprint
from tests.conftest import EXAMPLES, ROOT
from tests.make_examples import DRIFTED_FAILING

COMPLIANT = str(EXAMPLES / "compliant.json")
DRIFTED = str(EXAMPLES / "drifted.json")
MULTI = str(EXAMPLES / "multi-workspace.json")
CUSTOM = ROOT / "examples" / "policies"
ANSI = re.compile(r"\x1b\[")


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """One CLI invocation; stdout and stderr are kept apart."""
    return CliRunner().invoke(cli, list(args), env=env)


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = run(*args, "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def _failing(doc: dict[str, Any]) -> list[str]:
    return sorted({f["rule_id"] for f in doc["findings"] if f["status"] == "fail"})


def _write(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return str(path)


def _rule_file(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# ------------------------------------------------------------------ exit codes


def test_compliant_example_exits_0() -> None:
    result = run("check", "--snapshot", COMPLIANT)
    assert result.exit_code == EXIT_OK
    assert "PASSED: every judged resource follows the blueprint." in result.stdout
    assert result.stderr == ""


def test_drifted_example_exits_1_with_exactly_the_expected_rules() -> None:
    code, doc = run_json("check", "--snapshot", DRIFTED)
    assert code == EXIT_FINDINGS
    assert _failing(doc) == sorted(DRIFTED_FAILING)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-such-flag"], "--no-such-flag"),
        (["--rule", "AMLG-999"], "unknown rule id(s): AMLG-999"),
        (["--rule", "AMLG-101", "--rule", "NOPE-1"], "unknown rule id(s): NOPE-1"),
        (["--fail-on", "urgent"], "--fail-on: unknown severity 'urgent'"),
        (["--severity", "urgent"], "Invalid value for '--severity'"),
        (["--format", "xml"], "--format 'xml': unknown format 'xml' (one of: console, html, json"),
        (["--format", "json:out.json"], "use --output FMT:PATH"),
        (["--output", "xml:report.xml"], "--output 'xml:report.xml': unknown format 'xml'"),
        (["--output", "json"], "--output needs FMT:PATH"),
        (["--output", "json:"], "a path is needed after ':'"),
        (["--policies", "/no/such/dir"], "/no/such/dir: no such file or directory"),
        (["--snapshot", "/no/such/file.json"], "/no/such/file.json: snapshot file not found"),
    ],
)
def test_usage_and_input_errors_exit_2(args: list[str], message: str) -> None:
    result = run("check", "--snapshot", DRIFTED, *args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert message in result.stderr
    assert result.stdout == ""
    _no_traceback(result)


def test_no_snapshot_means_a_live_scan_whose_flags_are_validated() -> None:
    # Without --snapshot, check scans live (tests/test_cli_live.py); bad live flags are exit 2.
    result = run("check", "--arm-endpoint", "http://127.0.0.1:1")
    assert result.exit_code == EXIT_USAGE
    assert "https" in result.stderr


def test_bad_snapshot_exits_2_naming_file_and_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"id": "/a",}\n]\n', encoding="utf-8")
    result = run("check", "--snapshot", str(bad))
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.startswith(f"amlguard: {bad}:2:")
    _no_traceback(result)


def test_workspace_with_storage_outside_the_snapshot_exits_3(tmp_path: Path) -> None:
    inst = blueprint()
    rows = [r for r in inst.rows() if r["id"] != inst.storage["id"]]
    code, doc = run_json("check", "--snapshot", _write(tmp_path / "partial.json", rows))
    assert code == EXIT_INCOMPLETE
    errors = [f for f in doc["findings"] if f["status"] == "error"]
    # The storage rules cannot judge it, and neither can AMLG-108 on the workspace.
    assert {f["resource_id"] for f in errors} == {inst.storage["id"], inst.workspace["id"]}
    assert all("not in the scanned inventory" in f["message"] for f in errors)
    assert {f["rule_id"] for f in errors if f["resource_id"] == inst.workspace["id"]} == {
        "AMLG-108"
    }


def test_incomplete_wins_over_fail_on_none(tmp_path: Path) -> None:
    inst = blueprint()
    rows = [r for r in inst.rows() if r["id"] != inst.keyvault["id"]]
    path = _write(tmp_path / "partial.json", rows)
    assert run("check", "--snapshot", path, "--fail-on", "none").exit_code == EXIT_INCOMPLETE


# ------------------------------------------------------------------ gate and filters


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [
        ("info", EXIT_FINDINGS),
        ("low", EXIT_FINDINGS),
        ("medium", EXIT_FINDINGS),
        ("HIGH", EXIT_FINDINGS),
        ("critical", EXIT_OK),  # the drifted estate has no critical failure
        ("none", EXIT_OK),
    ],
)
def test_fail_on_threshold(fail_on: str, code: int) -> None:
    result = run("check", "--snapshot", DRIFTED, "--fail-on", fail_on)
    assert result.exit_code == code
    assert "AMLG-101" in result.stdout  # reported either way


def test_fail_on_counts_only_failures_at_or_above_it() -> None:
    # AMLG-103 is medium and fails in the drifted estate; AMLG-101 (high) is not selected.
    args = ["check", "--snapshot", DRIFTED, "--rule", "AMLG-103"]
    assert run(*args, "--fail-on", "medium").exit_code == EXIT_FINDINGS
    assert run(*args, "--fail-on", "high").exit_code == EXIT_OK


def test_rule_is_repeatable_and_case_insensitive() -> None:
    code, doc = run_json("check", "--snapshot", DRIFTED, "--rule", "amlg-101", "--rule", "AMLG-302")
    assert code == EXIT_FINDINGS
    assert {f["rule_id"] for f in doc["findings"]} == {"AMLG-101", "AMLG-302"}


def test_rule_selecting_only_passing_rules_exits_0() -> None:
    code, doc = run_json("check", "--snapshot", DRIFTED, "--rule", "AMLG-102")
    assert code == EXIT_OK
    assert {f["status"] for f in doc["findings"]} == {"pass"}


def test_a_selection_that_leaves_no_rule_is_an_error_not_a_pass() -> None:
    # The pack has no critical rule: a gate that judged nothing has not passed.
    result = run("check", "--snapshot", MULTI, "--severity", "critical")
    assert result.exit_code == EXIT_USAGE
    assert "no rule is selected by --severity critical" in result.stderr
    result = run("check", "--snapshot", MULTI, "--rule", "AMLG-101", "--skip-rule", "amlg-101")
    assert result.exit_code == EXIT_USAGE and "--skip-rule amlg-101" in result.stderr


@pytest.mark.parametrize("severity", ["high", "medium", "low"])
def test_severity_runs_only_rules_at_or_above_it(severity: str) -> None:
    order = ["info", "low", "medium", "high", "critical"]
    _, doc = run_json("check", "--snapshot", MULTI, "--severity", severity)
    got = {f["severity"] for f in doc["findings"]}
    assert all(order.index(s) >= order.index(severity) for s in got)
    pack = {
        r.id for r in load_pack().rules if order.index(r.severity.label) >= order.index(severity)
    }
    assert {f["rule_id"] for f in doc["findings"]} <= pack


# ------------------------------------------------------------------ formats and outputs


def test_format_json_goes_to_stdout_as_one_document() -> None:
    result = run("check", "--snapshot", MULTI, "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["summary"]["instances"] == 3
    assert doc["source"]["description"] == MULTI
    assert result.exit_code == EXIT_FINDINGS


def test_output_writes_a_file_and_keeps_the_console(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "findings.json"
    result = run("check", "--snapshot", DRIFTED, "--output", f"json:{target}")
    assert result.exit_code == EXIT_FINDINGS
    assert "FAIL AMLG-101" in result.stdout
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert _failing(doc) == sorted(DRIFTED_FAILING)


def test_unwritable_output_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    result = run("check", "--snapshot", DRIFTED, "--output", f"json:{blocker}/findings.json")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.startswith(f"amlguard: {blocker}/findings.json: cannot write json report")
    _no_traceback(result)


def test_output_console_file_has_no_colour(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    result = run(
        "check", "--snapshot", DRIFTED, "--format", "json", "--output", f"console:{target}"
    )
    assert json.loads(result.stdout)["summary"]["findings"] > 0
    text = target.read_text(encoding="utf-8")
    assert "FAIL AMLG-101" in text and not ANSI.search(text)


def test_verbose_lists_passes() -> None:
    quiet = run("check", "--snapshot", COMPLIANT).stdout
    loud = run("check", "--snapshot", COMPLIANT, "--verbose").stdout
    assert "pass      AMLG-101" not in quiet
    assert re.search(r"pass\s+AMLG-101\s+high\s+blueprint-dev-mlw", loud)
    assert len(re.findall(r"^\s+pass\s+AMLG-", loud, re.M)) == 34


def test_no_escape_codes_when_not_a_terminal() -> None:
    result = run("check", "--snapshot", DRIFTED, "--verbose")
    assert "FAIL AMLG-101" in result.stdout
    assert not ANSI.search(result.stdout)


class _Tty:
    def isatty(self) -> bool:
        return True


def test_colour_wanted_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _color_wanted(_Tty()) is True
    assert _color_wanted(object()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert _color_wanted(_Tty()) is False


def _in_terminal(args: list[str], no_color: bool) -> tuple[int, str]:
    """Run amlguard with stdout on a pseudo-terminal, as a user at a shell would."""
    import pty

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(PYTHONPATH=str(ROOT), TERM="xterm-256color", COLUMNS="100")
    if no_color:
        env["NO_COLOR"] = "1"
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "amlguard", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_terminal_gets_colour_unless_no_color_is_set() -> None:
    code, coloured = _in_terminal(["check", "--snapshot", DRIFTED], no_color=False)
    assert code == EXIT_FINDINGS and ANSI.search(coloured)
    code, plain = _in_terminal(["check", "--snapshot", DRIFTED], no_color=True)
    assert code == EXIT_FINDINGS and "FAIL AMLG-101" in plain
    assert not ANSI.search(plain)


# ------------------------------------------------------------------ policies commands


def test_policies_list_shows_every_rule() -> None:
    result = run("policies", "list")
    assert result.exit_code == EXIT_OK
    pack = load_pack()
    for rule in pack.rules:
        fix = "auto" if rule.fixable else "manual"
        assert re.search(
            rf"^{rule.id}\s+{rule.severity.label}\s+{fix}\s+(yes|(.+; else )?--tag \S+)\s+"
            rf"{re.escape(rule.title)}$",
            result.stdout,
            re.M,
        )
    as_json = json.loads(run("policies", "list", "--format", "json").stdout)
    assert [r["id"] for r in as_json] == [r.id for r in pack.rules]


def test_policies_show_text_and_json() -> None:
    text = run("policies", "show", "amlg-102")
    assert text.exit_code == EXIT_OK
    assert text.stdout.startswith("AMLG-102  workspace-managed-network-isolated  [high]")
    for heading in ("Description:", "Rationale:", "Remediation:", "Parameters:", "References:"):
        assert heading in text.stdout
    assert 'allowed_modes = ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"]' in text.stdout
    info = json.loads(run("policies", "show", "AMLG-102", "--format", "json").stdout)
    assert info["id"] == "AMLG-102"
    assert info["parameters"]["allowed_modes"]["default"] == [
        "AllowInternetOutbound",
        "AllowOnlyApprovedOutbound",
    ]
    assert info["fixable"] is True


def test_policies_show_unknown_id_exits_2() -> None:
    result = run("policies", "show", "AMLG-000")
    assert result.exit_code == EXIT_USAGE
    assert "unknown rule id 'AMLG-000'" in result.stderr


def test_policies_validate_builtin_pack() -> None:
    result = run("policies", "validate")
    assert result.exit_code == EXIT_OK
    files = len(load_pack().files)  # every built-in rule file
    assert files >= 3
    assert (
        result.stdout.strip() == f"{len(load_pack().rules)} rule(s) in {files} file(s) are valid."
    )


def test_policies_validate_example_directory() -> None:
    result = run("policies", "validate", str(CUSTOM))
    assert result.exit_code == EXIT_OK
    assert result.stdout.startswith(f"3 rule(s) in 1 file(s) under {CUSTOM} are valid")


BROKEN = """\
apiVersion: amlguard/v1
kind: Rules
rules:
  - id: ACME-100
    name: broken
    severity: urgent
    title: A broken rule
    description: Severity and operator are wrong.
    target: workspace
    condition:
      field: properties.publicNetworkAccess
      equalz: Disabled
    message: m
    remediation: {summary: s}
"""


def test_policies_validate_reports_every_problem_with_file_line_col(tmp_path: Path) -> None:
    broken = _rule_file(tmp_path / "rules" / "broken.yaml", BROKEN)
    _rule_file(tmp_path / "rules" / "bad-yaml.yml", "rules: [\n  - id: X\n")
    result = run("policies", "validate", str(tmp_path / "rules"))
    assert result.exit_code == EXIT_USAGE
    lines = result.stderr.splitlines()
    assert any(ln.startswith(f"amlguard: {broken}:6:15: ") and "urgent" in ln for ln in lines)
    # The unknown operator is reported at its condition (line 11), with the key it rejects.
    assert any(ln.startswith(f"amlguard: {broken}:11:7: ") and "'equalz'" in ln for ln in lines)
    assert any(
        re.match(rf"amlguard: {re.escape(str(tmp_path))}/rules/bad-yaml\.yml:\d+:\d+: ", ln)
        for ln in lines
    )
    _no_traceback(result)


def test_policies_validate_empty_directory_is_an_error(tmp_path: Path) -> None:
    result = run("policies", "validate", str(tmp_path))
    assert result.exit_code == EXIT_USAGE
    assert "no rule files" in result.stderr


def test_custom_rules_join_the_scan_and_produce_findings() -> None:
    code, doc = run_json("check", "--snapshot", COMPLIANT, "--policies", str(CUSTOM))
    assert code == EXIT_FINDINGS  # the built-in rules pass; the custom ones do not
    assert _failing(doc) == ["ACME-001", "ACME-002"]
    statuses = {f["rule_id"]: f["status"] for f in doc["findings"] if f["rule_id"] == "ACME-003"}
    assert statuses == {"ACME-003": "pass"}
    builtin_code, builtin_doc = run_json("check", "--snapshot", COMPLIANT)
    assert builtin_code == EXIT_OK
    # The user's rule files are part of the pack's hash: reports say which rules judged them.
    assert doc["rule_pack"]["hash"] != builtin_doc["rule_pack"]["hash"]


def test_custom_rule_parameters_and_like_work(tmp_path: Path) -> None:
    inst = blueprint()
    rules = inst.workspace["properties"]["managedNetwork"]["outboundRules"]
    for name, host in [
        ("pypi", "pypi.org"),
        ("conda", "Conda.Anaconda.org"),
        ("x", "paste.example.com"),
    ]:
        rules[name] = {"type": "FQDN", "category": "UserDefined", "destination": host}
    inst.workspace["tags"] = {"Owner": "ml-platform@example.com"}
    inst.storage["properties"]["minimumTlsVersion"] = "TLS1_2"
    path = _write(tmp_path / "fqdn.json", inst.rows())
    code, doc = run_json("check", "--snapshot", path, "--policies", str(CUSTOM))
    assert code == EXIT_FINDINGS
    assert _failing(doc) == ["ACME-003"]
    failing = next(f for f in doc["findings"] if f["rule_id"] == "ACME-003")
    assert "1 FQDN outbound rule(s)" in failing["message"]
    assert failing["actual"][0]["destination"] == "paste.example.com"


def test_custom_rule_with_a_clashing_id_is_an_error(tmp_path: Path) -> None:
    clash = (
        BROKEN.replace("ACME-100", "AMLG-101").replace("urgent", "low").replace("equalz", "equals")
    )
    path = _rule_file(tmp_path / "clash.yaml", clash)
    result = run("check", "--snapshot", COMPLIANT, "--policies", str(path))
    assert result.exit_code == EXIT_USAGE
    assert (
        f"{path}:4:5: rule id AMLG-101 is already defined at amlguard/policies/rules/"
        in result.stderr
    )
    validate = run("policies", "validate", str(tmp_path))
    assert validate.exit_code == EXIT_USAGE and "already defined" in validate.stderr


def test_custom_rule_files_clashing_with_each_other(tmp_path: Path) -> None:
    rule = BROKEN.replace("urgent", "low").replace("equalz", "equals")
    _rule_file(tmp_path / "a.yaml", rule)
    _rule_file(tmp_path / "b.yaml", rule)
    result = run("policies", "validate", str(tmp_path))
    assert result.exit_code == EXIT_USAGE
    assert "rule id ACME-100 is already defined at" in result.stderr


def test_help_and_version() -> None:
    assert "Exit codes" in run("--help").stdout
    for flag in (
        "--snapshot",
        "--policies",
        "--rule",
        "--severity",
        "--fail-on",
        "--format",
        "--output",
        "--verbose",
    ):
        assert flag in run("check", "--help").stdout
    version = run("--version")
    assert version.exit_code == 0 and version.stdout.startswith("amlguard, version ")


def test_a_real_process_check_flushes_everything_before_its_fast_exit(tmp_path: Path) -> None:
    # main() ends a check with os._exit (no interpreter teardown): stdout, the report file and
    # the exit code must all be complete by then.
    out = tmp_path / "findings.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "amlguard",
            "check",
            "--snapshot",
            "examples/estates/drifted.json",
            "--format",
            "json",
            "--output",
            f"json:{out}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert len(json.loads(proc.stdout)["findings"]) == 38
    assert json.loads(out.read_text())["summary"]["by_status"]["fail"] == 12
