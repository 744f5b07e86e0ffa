"""Opt-in rules (pack tag ``hardening``): off by default, on by tag, config or id (issue 13).

A custom rule file adds two failing rules to the pack: one tagged ``hardening`` (opt-in) and
one tagged ``acme`` (an ordinary tag). Through the real CLI on the compliant example estate.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from amlguard.ruleselect import narrow
from tests.conftest import EXAMPLES

COMPLIANT = str(EXAMPLES / "compliant.json")

RULES = """\
apiVersion: amlguard/v1
kind: Rules
rules:
  - id: ACME-900
    name: acme-hardening-owner-tag
    severity: low
    title: Workspaces carry an owner tag (hardening)
    description: An opt-in check that fails on the compliant example.
    target: workspace
    condition: {field: "tags.acme-owner", exists: true}
    message: "Workspace {name} has no owner tag."
    remediation: {summary: Tag the workspace.}
    tags: [hardening, acme]
  - id: ACME-901
    name: acme-cost-centre-tag
    severity: low
    title: Workspaces carry a cost-centre tag
    description: An ordinary custom check that fails on the compliant example.
    target: workspace
    condition: {field: "tags.acme-cost-centre", exists: true}
    message: "Workspace {name} has no cost-centre tag."
    remediation: {summary: Tag the workspace.}
    tags: [acme]
"""


def _rules(tmp_path: Path) -> str:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "acme.yaml").write_text(RULES, encoding="utf-8")
    return str(folder)


def _check(tmp_path: Path, *extra: str) -> tuple[Result, set[str]]:
    result = CliRunner().invoke(
        cli,
        ["check", "--snapshot", COMPLIANT, "--policies", _rules(tmp_path), "-f", "json", *extra],
    )
    ran: set[str] = set()
    if result.exit_code in (EXIT_OK, EXIT_FINDINGS):
        ran = {f["rule_id"] for f in json.loads(result.stdout)["findings"]}
    return result, ran


def test_opt_in_rule_is_off_by_default(tmp_path: Path) -> None:
    result, ran = _check(tmp_path, "--fail-on", "high")
    assert "ACME-900" not in ran
    assert "ACME-901" in ran and "AMLG-101" in ran
    assert result.exit_code == EXIT_OK


def test_tag_turns_opt_in_rules_on_without_narrowing(tmp_path: Path) -> None:
    result, ran = _check(tmp_path, "--tag", "hardening", "--fail-on", "low")
    assert {"ACME-900", "ACME-901", "AMLG-101"} <= ran
    assert result.exit_code == EXIT_FINDINGS


def test_ordinary_tag_narrows_and_keeps_opt_in_off(tmp_path: Path) -> None:
    _, ran = _check(tmp_path, "--tag", "acme")
    assert ran == {"ACME-901"}
    _, ran = _check(tmp_path, "--tag", "acme", "--tag", "HARDENING")
    assert ran == {"ACME-900", "ACME-901"}


def test_naming_the_rule_turns_it_on(tmp_path: Path) -> None:
    _, ran = _check(tmp_path, "--rule", "acme-900")
    assert ran == {"ACME-900"}


def test_config_include_tags_turns_it_on(tmp_path: Path) -> None:
    config = tmp_path / "amlguard.yaml"
    config.write_text("rules:\n  include_tags: [hardening]\n", encoding="utf-8")
    _, ran = _check(tmp_path, "--config", str(config))
    assert {"ACME-900", "ACME-901", "AMLG-101"} <= ran
    config.write_text("rules:\n  exclude: [AMLG-101]\n", encoding="utf-8")
    _, ran = _check(tmp_path, "--config", str(config))
    assert "ACME-900" not in ran and "AMLG-101" not in ran and "AMLG-102" in ran


def test_only_opt_in_rules_with_severity_filter_is_an_error_when_none_left(
    tmp_path: Path,
) -> None:
    result, _ = _check(tmp_path, "--tag", "acme", "--severity", "high")
    assert result.exit_code == EXIT_USAGE
    assert "--tag acme" in result.stderr


def test_policies_list_says_which_rules_are_on(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["policies", "list", "--policies", _rules(tmp_path)])
    assert result.exit_code == 0
    lines = {ln.split()[0]: ln for ln in result.stdout.splitlines() if ln.startswith("ACME-")}
    assert "--tag hardening" in lines["ACME-900"]
    assert "--tag" not in lines["ACME-901"] and " yes " in lines["ACME-901"]
    listed = CliRunner().invoke(
        cli, ["policies", "list", "--policies", _rules(tmp_path), "-f", "json"]
    )
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows["ACME-900"]["default"] is False and rows["ACME-900"]["opt_in_tags"] == ["hardening"]
    assert rows["AMLG-101"]["default"] is True


_TAGS = st.lists(st.sampled_from(["hardening", "net", "x", "HARDENING"]), max_size=3)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(rule_tags=st.lists(_TAGS, min_size=1, max_size=6), wanted=_TAGS, named=st.booleans())
def test_narrow_properties(rule_tags: list[list[str]], wanted: list[str], named: bool) -> None:
    rules = [SimpleNamespace(id=f"R-{i}", tags=t) for i, t in enumerate(rule_tags)]
    opt_in = frozenset({"hardening"})
    ids = [rules[0].id] if named else []
    kept = narrow(rules, wanted, opt_in, named=ids)
    on = "hardening" in {w.lower() for w in wanted}
    for r in kept:
        tags = {t.lower() for t in r.tags}
        # An opt-in rule is only kept when its tag is on or it is named.
        assert not ("hardening" in tags and not on and r.id not in ids)
    narrowing = {w.lower() for w in wanted} - {"hardening"}
    for r in rules:
        tags = {t.lower() for t in r.tags}
        eligible = r.id in ids or "hardening" not in tags or on
        selected = not narrowing or bool(tags & (narrowing | ({"hardening"} if on else set())))
        assert (r in kept) == (eligible and selected)


TYPO = """\
apiVersion: amlguard/v1
kind: Rules
rules:
  - id: ACME-101
    name: acme-storage-tls
    severity: high
    title: Storage requires TLS 1.2
    description: A custom rule whose target type has a typo (storageaccount).
    target: {select: associated, types: [microsoft.storage/storageaccount]}
    condition: {field: properties.minimumTlsVersion, equals: TLS1_2}
    message: "Storage {name} allows old TLS."
    remediation: {summary: Set TLS 1.2.}
"""


def test_rules_that_judge_nothing_never_pass(tmp_path: Path) -> None:
    folder = tmp_path / "typo"
    folder.mkdir()
    (folder / "typo.yaml").write_text(TYPO, encoding="utf-8")
    alone = CliRunner().invoke(
        cli, ["check", "--snapshot", COMPLIANT, "--policies", str(folder), "--rule", "ACME-101"]
    )
    assert alone.exit_code == 3, alone.output
    assert "judged no resource" in alone.output and "ACME-101" in alone.output
    with_pack = CliRunner().invoke(
        cli, ["check", "--snapshot", COMPLIANT, "--policies", str(folder), "-f", "json"]
    )
    assert with_pack.exit_code == EXIT_OK
    warnings = json.loads(with_pack.stdout)["warnings"]
    assert any("custom rule ACME-101 judged no resource" in w for w in warnings), warnings
