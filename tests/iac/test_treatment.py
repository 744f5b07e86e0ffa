"""Runtime-only state is declared per rule (the ``iac:`` block), not decided in code."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from amlguard.errors import PolicyError
from amlguard.iac.combined import CombinedSource
from amlguard.iac.source import TemplateSource
from amlguard.iac.treatment import compile_treatment, for_templates
from amlguard.scanner.model import ScanResult, SourceInfo
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, run_scan, select_rules
from amlguard.scanner.sources.interface import Collected, Needs, Source
from tests.iac.helpers import scan
from tests.iac.test_rules import CONTEXT, PARAMS, TEMPLATE, _manual_openai, resource, run, ws

ASSUMED = "assumed the template's private endpoint connections Approved"


def _findings(result: ScanResult, rule_id: str) -> list[Any]:
    return [f for f in result.findings if f.rule_id == rule_id]


def test_every_iac_block_of_the_pack_compiles() -> None:
    pack = load_pack()
    treated = {r.id for r in pack.rules if compile_treatment(r) is not None}
    assert {"AMLG-103", "AMLG-109", "AMLG-202", "AMLG-212", "AMLG-240"} <= treated


def test_a_bad_iac_condition_names_the_rule() -> None:
    rule = load_pack().get("AMLG-103")
    assert rule is not None
    from dataclasses import replace

    broken = replace(rule, raw={**rule.raw, "iac": {"condition": {"field": "a[", "equals": 1}}})
    with pytest.raises(PolicyError) as info:
        compile_treatment(broken)
    assert "AMLG-103 iac.condition" in str(info.value)


def test_provision_network_now_passes_the_provisioning_rule(tmp_path: Path) -> None:
    result, _, _ = run(tmp_path, TEMPLATE)
    (finding,) = _findings(result, "AMLG-103")
    assert finding.status.value == "pass"


def test_without_provision_network_now_the_rule_is_skipped_with_the_command(
    tmp_path: Path,
) -> None:
    template = copy.deepcopy(TEMPLATE)
    del ws(template)["properties"]["provisionNetworkNow"]
    result, _, _ = run(tmp_path, template)
    (finding,) = _findings(result, "AMLG-103")
    assert finding.status.value == "skipped"
    assert "az ml workspace provision-network --name blueprint-dev-mlw" in finding.message
    assert "--resource-group ml-secure-blueprint" in finding.message
    assert not {f.rule_id for f in result.findings if f.status.value in ("fail", "error")}


def test_strict_parameter_makes_an_unprovisioned_template_fail(tmp_path: Path) -> None:
    template = copy.deepcopy(TEMPLATE)
    ws(template)["properties"]["provisionNetworkNow"] = False
    path = tmp_path / "azuredeploy.json"
    path.write_text(json.dumps(template))
    pack = load_pack()
    options = ScanOptions(parameters={"AMLG-103": {"iac_require_provisioning": True}})
    source = TemplateSource([path], [PARAMS], {}, CONTEXT)
    result = run_scan(source, pack, select_rules(pack, ["AMLG-103"]), options)
    (finding,) = _findings(result, "AMLG-103")
    assert finding.status.value == "fail"


def test_automatic_connections_pass_and_say_they_were_assumed(tmp_path: Path) -> None:
    result, _, _ = run(tmp_path, TEMPLATE)
    for rule_id in ("AMLG-109", "AMLG-202", "AMLG-240"):
        found = _findings(result, rule_id)
        assert found and all(f.status.value == "pass" for f in found), rule_id
        assert all(ASSUMED in f.message for f in found), rule_id
    # a rule that reads no connection says nothing about the assumption
    assert all(ASSUMED not in f.message for f in _findings(result, "AMLG-201"))


def test_manual_connection_is_pending_and_the_failure_says_it_was_assumed(
    tmp_path: Path,
) -> None:
    template = copy.deepcopy(TEMPLATE)
    _manual_openai(template)
    result, _, _ = run(tmp_path, template)
    failed = [f for f in _findings(result, "AMLG-240") if f.status.value == "fail"]
    assert len(failed) == 1 and failed[0].resource_id.endswith("-oai")
    assert ASSUMED in failed[0].message and "Pending" in failed[0].message


def test_a_rule_without_an_iac_block_sees_the_approval_as_unknown(tmp_path: Path) -> None:
    """Fail closed: the assumption is the rule's, so a rule that does not declare it cannot
    judge an approval before deployment."""
    pack = load_pack()
    rule = pack.get("AMLG-212")
    assert rule is not None
    from dataclasses import replace

    bare = replace(rule, raw={k: v for k, v in rule.raw.items() if k != "iac"})
    path = tmp_path / "azuredeploy.json"
    path.write_text(json.dumps(TEMPLATE))
    result = run_scan(TemplateSource([path], [PARAMS], {}, CONTEXT), pack, [bare])
    (finding,) = _findings(result, "AMLG-212")
    assert finding.status.value == "error"
    assert ": approval (automatic)" in finding.message


class _Estate(Source):
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def collect(self, needs: Needs, progress: Any = None) -> Collected:
        return Collected(self.rows, SourceInfo(kind="snapshot", description="estate"))


def test_over_an_estate_only_template_rows_are_treated(tmp_path: Path) -> None:
    """A workspace the estate holds keeps its live status; the template's own is treated."""
    template = copy.deepcopy(TEMPLATE)
    del ws(template)["properties"]["provisionNetworkNow"]
    path = tmp_path / "azuredeploy.json"
    path.write_text(json.dumps(template))
    alone = scan(TemplateSource([path], [PARAMS], {}, CONTEXT))
    wid = _findings(alone, "AMLG-103")[0].resource_id
    other = wid.rsplit("/", 1)[0] + "/live-mlw"
    live = {
        "id": other,
        "name": "live-mlw",
        "type": "microsoft.machinelearningservices/workspaces",
        "location": "germanywestcentral",
        "properties": {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}},
    }
    combined = CombinedSource(TemplateSource([path], [PARAMS], {}, CONTEXT), _Estate([live]))
    result = scan(combined)  # type: ignore[arg-type]
    by_id = {f.resource_id.lower(): f for f in _findings(result, "AMLG-103")}
    assert by_id[wid.lower()].status.value == "skipped"
    # the estate's workspace has no status: judged as any live one (a failure, not a skip)
    assert by_id[other.lower()].status.value == "fail"


def test_only_template_scans_are_treated() -> None:
    pack = load_pack()
    rules = select_rules(pack)
    info = SourceInfo(kind="template", description="t")
    wrapped = for_templates(rules, [], info)
    assert [r.id for r in wrapped] == [r.id for r in rules]
    changed = {r.id for r, w in zip(rules, wrapped, strict=True) if r is not w}
    assert changed == {r.id for r in rules if "iac" in r.raw}
    assert resource(TEMPLATE, "Microsoft.MachineLearningServices/workspaces")


_RULE = """apiVersion: amlguard/v1
kind: Rules
rules:
  - id: CUSTOM-1
    name: custom-one
    severity: low
    title: t
    description: d
    target: workspace
    condition:
      field: name
      exists: true
    message: m
    remediation:
      summary: s
    iac:
      where:
        value: "[parameters('nope')]"
        equals: true
      skip_message: later
"""


def test_a_custom_rule_iac_block_is_validated_at_load() -> None:
    from amlguard.scanner.rules import load_rule_text

    with pytest.raises(PolicyError) as info:
        load_rule_text(_RULE, "custom.yaml")
    assert "custom.yaml:18:" in str(info.value) and "iac.where" in str(info.value)
    assert "unknown parameter 'nope'" in str(info.value)
    with pytest.raises(PolicyError) as schema:  # assume without assumption: the schema says no
        load_rule_text(
            _RULE.replace(
                "      where:\n        value: \"[parameters('nope')]\"\n        equals: true\n"
                "      skip_message: later\n",
                "      assume:\n        - unknown: '*'\n          value: 1\n",
            ),
            "custom.yaml",
        )
    assert "assumption" in str(schema.value)
