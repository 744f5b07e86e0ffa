"""The amlguard.yaml config file: validation with positions, what it maps to, flags over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.app import scan_options
from amlguard.cli import cli
from amlguard.config import (
    Config,
    ConfigError,
    check_against_pack,
    find_config,
    load_config,
    selected_rule_ids,
)
from amlguard.errors import InputError
from amlguard.scanner.model import Severity
from amlguard.scanner.rules import load_pack
from amlguard.settings import CheckSettings, Flags, OutputTarget, resolve
from tests.conftest import EXAMPLES

DRIFTED = str(EXAMPLES / "drifted.json")

FULL = """\
version: 1
scope:
  subscriptions: [8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b]
  management_groups: [mg-ml]
  resource_groups: [ml-secure-blueprint]
rules:
  include_tags: [workspace]
  exclude: [AMLG-108]
  min_severity: medium
parameters:
  AMLG-102:
    allowed_modes: [AllowOnlyApprovedOutbound]
  amlg-104:
    require_spark: false
integration_selector:
  kinds: [OpenAI]
  scope: subscription
solution_subnet: /subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pe
image_build_compute: image-builder
allow_permanent_suppressions: true
suppressions:
  - rule: AMLG-222
    resource: "*/registries/*"
    reason: vendor access
    approved_by: secops
output:
  format: markdown
  outputs: [junit:out/amlguard.xml, sarif:out/amlguard.sarif]
  fail_on: high
  sarif_artifact: infra/main.bicep
"""


def _write(tmp_path: Path, text: str, name: str = "amlguard.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        check_against_pack(load_config(path), load_pack([]))
    return [p.replace(f"{path}:", "") for p in info.value.problems]


def test_full_config_maps_onto_scan_options_and_outputs(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, FULL))
    pack = load_pack([])
    check_against_pack(cfg, pack)
    assert cfg.subscriptions == ("8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b",)
    assert cfg.management_groups == ("mg-ml",) and cfg.resource_groups == ("ml-secure-blueprint",)
    options = scan_options(
        CheckSettings(
            config=cfg,
            integration_selector=cfg.integration_selector,
            solution_subnet=cfg.solution_subnet,
        ),
        pack,
        "AzureCloud",
    )
    assert options.parameters == {
        "AMLG-102": {"allowed_modes": ["AllowOnlyApprovedOutbound"]},
        "AMLG-104": {"require_spark": False},
        "AMLG-107": {"compute_name": "image-builder"},
    }
    assert options.integration_selector == {"kinds": ["OpenAI"], "scope": "subscription"}
    assert options.solution_subnet and options.solution_subnet.endswith("/subnets/pe")
    ids = selected_rule_ids(cfg, pack)
    assert "AMLG-101" in ids and "AMLG-108" not in ids and "AMLG-201" not in ids
    (s,) = cfg.suppressions
    assert s.expires is None and s.approved_by == "secops" and s.source.endswith("amlguard.yaml:22")
    assert cfg.sarif_artifact == tmp_path / "infra" / "main.bicep"
    eff = resolve(Flags({"snapshots": (DRIFTED,)}, {}), cfg)
    assert eff.outputs.stdout_format == "markdown"
    assert eff.gate.fail_on is Severity.HIGH and eff.selection.min_severity is Severity.MEDIUM
    assert eff.outputs.targets[1:] == (
        OutputTarget("junit", Path("out/amlguard.xml")),
        OutputTarget("sarif", Path("out/amlguard.sarif")),
    )


def test_flags_override_the_config_file(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, FULL))
    values = {
        "fail_on": "none",
        "fmt": "json",
        "outputs": ("markdown:x.md",),
        "severity": "high",
        "sarif_artifact": Path("a.bicep"),
        "snapshots": (DRIFTED,),
    }
    eff = resolve(Flags(values, dict.fromkeys(values, "commandline")), cfg)
    assert eff.gate.fail_on is None and eff.outputs.stdout_format == "json"
    assert eff.selection.min_severity is Severity.HIGH
    assert eff.outputs.targets == (
        OutputTarget("json", None),
        OutputTarget("markdown", Path("x.md")),
    )
    assert eff.outputs.sarif_artifact == Path("a.bicep")
    defaults = resolve(Flags({}, {}), Config())
    assert defaults.gate.fail_on is Severity.LOW
    assert defaults.outputs.targets == (OutputTarget("console", None),)


def test_cli_fail_on_from_config_and_flag_precedence(tmp_path: Path) -> None:
    # drifted.json fails high and medium rules; a config that gates only on critical passes.
    cfg = _write(tmp_path, "output:\n  fail_on: critical\n")
    runner = CliRunner()
    base = ["check", "--snapshot", DRIFTED, "--config", str(cfg)]
    assert runner.invoke(cli, base).exit_code == 0
    assert runner.invoke(cli, [*base, "--fail-on", "medium"]).exit_code == 1


def test_cli_config_outputs_and_the_output_flag_replaces_them(tmp_path: Path) -> None:
    cfg = _write(tmp_path, f"output:\n  outputs: ['json:{tmp_path}/from-config.json']\n")
    runner = CliRunner()
    base = ["check", "--snapshot", DRIFTED, "--config", str(cfg), "--fail-on", "none"]
    assert runner.invoke(cli, base).exit_code == 0
    assert (tmp_path / "from-config.json").is_file()
    (tmp_path / "from-config.json").unlink()
    res = runner.invoke(cli, [*base, "--output", f"markdown:{tmp_path}/flag.md"])
    assert res.exit_code == 0
    assert (tmp_path / "flag.md").is_file() and not (tmp_path / "from-config.json").exists()


def test_cli_rule_flag_overrides_config_selection(tmp_path: Path) -> None:
    cfg = _write(tmp_path, "rules:\n  include: [AMLG-101]\n")
    runner = CliRunner()
    base = ["check", "--snapshot", DRIFTED, "--config", str(cfg), "--format", "json"]
    doc = json.loads(runner.invoke(cli, base).output)
    assert {f["rule_id"] for f in doc["findings"]} == {"AMLG-101"}
    doc = json.loads(runner.invoke(cli, [*base, "--rule", "AMLG-222"]).output)
    assert {f["rule_id"] for f in doc["findings"]} == {"AMLG-222"}


def test_parameters_from_config_change_the_verdict(tmp_path: Path) -> None:
    cfg = _write(
        tmp_path, "parameters:\n  AMLG-102:\n    allowed_modes: [AllowOnlyApprovedOutbound]\n"
    )
    args = ["check", "--snapshot", DRIFTED, "--rule", "AMLG-102", "--format", "json"]
    before = json.loads(CliRunner().invoke(cli, args).output)["findings"][0]["status"]
    after = json.loads(CliRunner().invoke(cli, [*args, "--config", str(cfg)]).output)
    assert (before, after["findings"][0]["status"]) == ("pass", "fail")


def test_config_is_found_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_config(None, tmp_path) is None
    path = _write(tmp_path, "output:\n  fail_on: critical\n")
    assert find_config(None, tmp_path) == path
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["check", "--snapshot", DRIFTED]).exit_code == 0
    with pytest.raises(InputError, match="config file not found"):
        find_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules:\n  include: AMLG-101\n", "2:12: rules/include: 'AMLG-101' is not of type 'array'"),
        ("colour: blue\n", "1:1: document: unknown key ('colour' was unexpected)"),
        ("output:\n  fail_on: severe\n", "2:12: output/fail_on:"),
        ("output:\n  format: html5\n", "2:11: output/format: unknown format 'html5'"),
        ("output:\n  outputs: ['pdf:x.pdf']\n", "2:13: output/outputs/0: unknown format 'pdf'"),
        ("rules:\n  exclude: [AMLG-999]\n", "2:13: rules/exclude/0: unknown rule id 'AMLG-999'"),
        (
            "parameters:\n  AMLG-102:\n    allowed_mode: [X]\n",
            "3:19: parameters/AMLG-102: AMLG-102 has no parameter 'allowed_mode' (declared: allowed_modes)",
        ),
        (
            "parameters:\n  AMLG-104:\n    require_spark: 'yes'\n",
            "3:20: parameters/AMLG-104/require_spark: expected a boolean, got str",
        ),
        (
            "parameters:\n  AMLG-102:\n    allowed_modes: [Open]\n",
            "3:20: parameters/AMLG-102/allowed_modes: 'Open' is not allowed",
        ),
        ("parameters:\n  AMLG-998: {x: 1}\n", "2:13: parameters: unknown rule id 'AMLG-998'"),
        ("rules:\n  include: [\n", "3:1:"),
        (
            "suppressions:\n  - rule: AMLG-222\n    resource: '*'\n    reason: r\n    expires: 2026-02-30\n",
            "5:14: '2026-02-30': day is out of range for month",
        ),
        (
            "suppressions:\n  - rule: AMLG-222\n    resource: '*'\n    reason: '  '\n    expires: 2026-02-01\n",
            "4:13: suppressions/0/reason:",
        ),
        (
            "suppressions:\n  - rule: AMLG-222\n    resource: '*'\n    expires: 2026-02-01\n",
            "2:5: suppressions/0: 'reason' is a required property",
        ),
        (
            "suppressions:\n  - rule: AMLG-222\n    resource: '*'\n    reason: r\n",
            "2:5: suppressions/0: an 'expires' date is required (or set 'allow_permanent_suppressions: true')",
        ),
        (
            "suppressions:\n  - rule: AMLG-299\n    resource: '*'\n    reason: r\n    expires: 2026-02-01\n",
            "2:11: suppressions/0/rule: unknown rule id 'AMLG-299'",
        ),
    ],
)
def test_config_errors_name_file_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    problems = _problems(tmp_path, text)
    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = "rules:\n  exclude: [AMLG-997, AMLG-998]\nparameters:\n  AMLG-101: {x: 1}\n"
    assert len(_problems(tmp_path, text)) == 3


def test_cli_prints_each_config_problem_and_exits_2(tmp_path: Path) -> None:
    cfg = _write(tmp_path, "rules:\n  exclude: [AMLG-997, AMLG-998]\n")
    res = CliRunner().invoke(cli, ["check", "--snapshot", DRIFTED, "--config", str(cfg)])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.startswith("amlguard: ")]
    assert lines == [
        f"amlguard: {cfg}:2:13: rules/exclude/0: unknown rule id 'AMLG-997'",
        f"amlguard: {cfg}:2:23: rules/exclude/1: unknown rule id 'AMLG-998'",
    ]


def test_selection_that_leaves_nothing_is_an_error(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "rules:\n  include_tags: [no-such-tag]\n"))
    with pytest.raises(ConfigError, match="leaves no rule"):
        selected_rule_ids(cfg, load_pack([]))


def test_empty_config_file_means_defaults(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "# nothing yet\n"))
    assert (
        cfg.suppressions == ()
        and cfg.parameters == {}
        and selected_rule_ids(cfg, load_pack([])) == []
    )


def test_readme_config_example_is_valid(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## CI gates", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    cfg = load_config(_write(tmp_path, block))
    check_against_pack(cfg, load_pack([]))
    assert cfg.suppressions[0].rule == "AMLG-222" and cfg.fail_on == "high"
