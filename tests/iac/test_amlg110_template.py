"""AMLG-110 on a template (redteam10 #1, #6): a ServiceTag rule's addressPrefixes are judged,
not its tag, and a rule's self-written ``category`` exempts nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "own" / "blueprint"


def _check(tmp: Path, rules: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    doc = json.loads((DATA / "azuredeploy.json").read_text(encoding="utf-8"))
    ws = next(r for r in doc["resources"] if r["type"].endswith("/workspaces"))
    net = ws["properties"]["managedNetwork"]
    net["isolationMode"] = "AllowOnlyApprovedOutbound"
    net["outboundRules"].update(rules)
    path = tmp / "azuredeploy.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    args = ["check", "--template", str(path), "--parameters"]
    args += [str(DATA / "azuredeploy.parameters.json"), "--rule", "AMLG-110", "--format", "json"]
    out = CliRunner().invoke(cli, args)
    return out.exit_code, json.loads(out.stdout)["findings"]


def _tag_rule(tag: str, prefixes: list[str] | None, category: str = "UserDefined") -> Any:
    dest: dict[str, Any] = {"serviceTag": tag, "protocol": "*", "portRanges": "*"}
    if prefixes is not None:
        dest["addressPrefixes"] = prefixes
    return {"type": "ServiceTag", "category": category, "destination": dest}


@pytest.mark.parametrize(
    ("rules", "code"),
    [
        ({"egress": _tag_rule("AzureMachineLearning", ["0.0.0.0/0"])}, 1),
        ({"egress": _tag_rule("Storage", ["203.0.113.10/32"])}, 0),
        ({"egress": _tag_rule("AzureMachineLearning", None)}, 0),
        ({"all": {"type": "FQDN", "category": "Required", "destination": "*"}}, 1),
        ({"st": _tag_rule("Storage", None, category="Recommended")}, 1),
        ({"pypi": {"type": "FQDN", "category": "Required", "destination": "pypi.org"}}, 0),
    ],
    ids=[
        "broad-prefix",
        "narrow-prefix-storage-tag",
        "plain-tag",
        "fqdn-labelled",
        "tag-labelled",
        "narrow",
    ],
)
def test_template_rules(rules: dict[str, Any], code: int, tmp_path: Path) -> None:
    exit_code, findings = _check(tmp_path, rules)
    assert exit_code == code
    (finding,) = findings
    assert finding["status"] == ("fail" if code else "pass")
    if code:
        assert next(iter(rules)) in finding["message"]
