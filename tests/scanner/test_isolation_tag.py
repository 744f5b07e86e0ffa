"""The workspace tag ``amlguard-network-isolation`` and the config's ``network_isolation``
(redteam7 item 8): the tag belongs to the audited team, so an explicit config value wins over it,
and every report says when a tag chose a workspace's isolation or was overruled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_OK
from tests.conftest import EXAMPLES

WS = "blueprint-dev-mlw"
SUBNET = (
    "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint"
    "/providers/Microsoft.Network/virtualNetworks/blueprint-dev-vnet/subnets/snet-endpoints"
)


def _estate(tmp_path: Path, tag: str | None) -> Path:
    """compliant.json with the workspace's managed network off (a customer-VNet workspace)."""
    doc = json.loads((EXAMPLES / "compliant.json").read_text())
    ws = next(r for r in doc["data"] if r["name"] == WS)
    ws["properties"]["managedNetwork"] = {"isolationMode": "Disabled"}
    ws["properties"]["serverlessComputeSettings"] = {
        "serverlessComputeCustomSubnet": SUBNET,
        "serverlessComputeNoPublicIP": True,
    }
    if tag is not None:
        ws["tags"] = {"Amlguard-Network-Isolation": tag}
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc))
    return path


def _check(estate: Path, config: dict[str, Any] | None, tmp_path: Path) -> tuple[int, Any]:
    args = ["check", "--snapshot", str(estate), "--format", "json"]
    if config is not None:
        cfg = tmp_path / "amlguard.yaml"
        cfg.write_text(json.dumps({"version": 1, **config}))
        args += ["--config", str(cfg)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (EXIT_OK, EXIT_FINDINGS), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("tag", ["custom", "either", " CUSTOM "])
def test_an_explicit_config_value_wins_over_the_tag(tmp_path: Path, tag: str) -> None:
    code, report = _check(_estate(tmp_path, tag), {"network_isolation": "managed"}, tmp_path)
    assert code == EXIT_FINDINGS
    failing = {f["rule_id"] for f in report["findings"] if f["status"] == "fail"}
    assert "AMLG-102" in failing
    assert any("the config's network_isolation 'managed' is judged instead" in w
               for w in report["warnings"])  # fmt: skip


def test_without_a_config_value_the_tag_decides_and_the_report_says_so(tmp_path: Path) -> None:
    code, report = _check(_estate(tmp_path, "custom"), None, tmp_path)
    assert code == EXIT_OK
    assert any("chosen by its own tag" in w for w in report["warnings"])


def test_a_config_value_the_tag_agrees_with_is_not_a_warning(tmp_path: Path) -> None:
    code, report = _check(_estate(tmp_path, "custom"), {"network_isolation": "custom"}, tmp_path)
    assert code == EXIT_OK
    assert not any("amlguard-network-isolation" in w for w in report["warnings"])


def test_no_tag_no_warning(tmp_path: Path) -> None:
    code, report = _check(_estate(tmp_path, None), {"network_isolation": "custom"}, tmp_path)
    assert code == EXIT_OK
    assert not any("network isolation" in w for w in report["warnings"])
