"""AMLG-250 is opt-in (tag hardening) but on by default for AllowOnlyApprovedOutbound
workspaces: the rule's ``default_on_when`` (data in the YAML, judged per instance on the
workspace row) keeps it as a conditional copy; the tag or its id runs it everywhere. Live
(emulator, real SDK clients) and snapshot, through the CLI and the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import PolicyError
from amlguard.reports.ruledocs import render_pages
from amlguard.ruleselect import default_on_text, narrow, opt_in_tags
from amlguard.scanner.model import SourceInfo, Status
from amlguard.scanner.rules import load_pack, load_rule_text
from amlguard.scanner.scan import ScanOptions, evaluate, select_rules
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint
from tests.builders_rules3 import aoao
from tests.emulator import arg
from tests.emulator.live import findings, scan, source
from tests.emulator.server import Emulator

RULE = "AMLG-250"


def _default(rows: list[dict[str, Any]]) -> list[Any]:
    pack = load_pack()
    result = evaluate(rows, pack, select_rules(pack), ScanOptions(), SourceInfo("b", "b"))
    return [f for f in result.findings if f.rule_id == RULE]


def _cli(rows: list[dict[str, Any]], tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    out = CliRunner().invoke(cli, ["check", "--snapshot", str(snap), "-f", "json", *args])
    assert out.exit_code in (0, 1), out.output
    return [f for f in json.loads(out.output)["findings"] if f["rule_id"] == RULE]


def test_aoao_workspace_with_public_insights_fails_by_default() -> None:
    (f,) = _default(aoao(private_insights=False).rows())
    assert f.status is Status.FAIL and "publicNetworkAccessForIngestion" in (f.path or "")


def test_aoao_workspace_with_private_insights_passes_by_default() -> None:
    (f,) = _default(aoao(private_insights=True).rows())
    assert f.status is Status.PASS


def test_other_workspaces_are_not_judged_by_default() -> None:
    assert _default(blueprint().rows()) == []


def test_one_estate_judges_only_its_aoao_instance() -> None:
    strict = aoao(private_insights=False)
    plain = blueprint(prefix="plain", rg="ml-plain")
    found = _default(strict.rows() + plain.rows())
    assert [f.instance for f in found] == [strict.workspace["id"]]


def test_tag_or_id_runs_it_everywhere(tmp_path: Path) -> None:
    rows = blueprint().rows()
    assert _cli(rows, tmp_path) == []
    for args in (["--tag", "hardening"], ["--rule", RULE]):
        (f,) = _cli(rows, tmp_path, *args)
        assert f["status"] == "fail", args


def test_config_selection_keeps_it_conditional(tmp_path: Path) -> None:
    config = tmp_path / "amlguard.yaml"
    config.write_text("rules:\n  exclude: [AMLG-101]\n", encoding="utf-8")
    assert _cli(blueprint().rows(), tmp_path, "--config", str(config)) == []
    (f,) = _cli(aoao(private_insights=False).rows(), tmp_path, "--config", str(config))
    assert f["status"] == "fail"
    config.write_text("rules:\n  include_tags: [hardening]\n", encoding="utf-8")
    (f,) = _cli(blueprint().rows(), tmp_path, "--config", str(config))
    assert f["status"] == "fail"


def test_narrowing_tag_keeps_it_conditional() -> None:
    pack = load_pack()
    kept = narrow(pack.rules, ["network"], opt_in_tags(pack))
    (rule,) = [r for r in kept if r.id == RULE]
    assert rule.runs_only_when is not None
    (named,) = [r for r in narrow(pack.rules, [], opt_in_tags(pack), named=[RULE]) if r.id == RULE]
    assert named.runs_only_when is None


def test_policies_list_and_docs_say_where_it_is_on() -> None:
    out = CliRunner().invoke(cli, ["policies", "list"])
    line = next(line for line in out.output.splitlines() if line.startswith(RULE))
    assert "AllowOnlyApprovedOutbound workspaces; else --tag hardening" in line
    rows = json.loads(CliRunner().invoke(cli, ["policies", "list", "-f", "json"]).output)
    (row,) = [r for r in rows if r["id"] == RULE]
    assert (
        row["default"] is False and row["default_on_when"] == "AllowOnlyApprovedOutbound workspaces"
    )
    others = [r for r in rows if r["id"] != RULE]
    assert all(r["default_on_when"] is None for r in others)
    page = render_pages()[f"{RULE}.md"]
    assert "on for AllowOnlyApprovedOutbound workspaces" in page and "--tag hardening" in page
    committed = Path("docs/rules") / f"{RULE}.md"
    assert committed.read_text(encoding="utf-8") == page


def test_default_on_when_is_validated_like_a_condition() -> None:
    text = (
        "apiVersion: amlguard/v1\nkind: Rules\nrules:\n"
        "  - id: ACME-001\n    name: acme\n    severity: low\n    title: t\n    description: d\n"
        "    target: workspace\n    condition: {field: name, exists: true}\n"
        "    message: m\n    remediation: {summary: s}\n    tags: [hardening]\n"
        "    default_on_when:\n      label: somewhere\n      workspace: {field: name, bogus: 1}\n"
    )
    with pytest.raises(PolicyError) as caught:
        load_rule_text(text, "acme.yaml")
    problems = "\n".join(caught.value.problems)
    assert "acme.yaml:" in problems and "default_on_when" in problems


def test_a_mode_that_is_no_string_is_not_aoao() -> None:
    pack = load_pack()
    rule = pack.get(RULE)
    assert rule is not None and default_on_text(rule, opt_in_tags(pack))
    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"] = {"isolationMode": ["not", "a", "string"]}
    # a value the condition cannot compare is not "AllowOnlyApprovedOutbound": not judged
    assert _default(inst.rows()) == []


def test_live_equals_snapshot(tmp_path: Path) -> None:
    rows = aoao(private_insights=False).rows() + blueprint(prefix="plain", rg="ml-plain").rows()
    with Emulator(rows) as emu:
        arg.install(emu)
        live = scan(source(emu))
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    offline = scan(SnapshotSource([snap]))
    on_250 = [f for f in live.findings if f.rule_id == RULE]
    assert [f.status for f in on_250] == [Status.FAIL]
    assert findings(live) == findings(offline)
