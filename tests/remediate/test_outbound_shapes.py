"""Planning beside outbound rules of every documented shape (redteam6 item 5b): an FQDN rule's
``destination`` is a string, a service-tag rule's an object without ``serviceResourceId``; the
planner used to crash (exit 4) on the first when AMLG-104 failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE
from tests.conftest import EXAMPLES

RULES: dict[str, dict[str, Any]] = {
    "fqdn": {"type": "FQDN", "category": "UserDefined", "status": "Inactive",
             "destination": "pypi.org"},
    "service-tag": {"type": "ServiceTag", "category": "UserDefined", "status": "Active",
                    "destination": {"serviceTag": "AzureMonitor", "protocol": "TCP",
                                    "portRanges": "443", "action": "Allow"}},
    "pe-other-case": {"Type": "PrivateEndpoint", "Category": "UserDefined", "Status": "Active",
                      "Destination": {"ServiceResourceId": "/subscriptions/x/resourceGroups/y/"
                                      "providers/Microsoft.Storage/storageAccounts/z",
                                      "SubresourceTarget": "blob", "SparkEnabled": False}},
    "null-destination": {"type": "FQDN", "category": "UserDefined", "destination": None},
}  # fmt: skip


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_fix_plans_beside_any_outbound_rule_shape(tmp_path: Path, rule: dict[str, Any]) -> None:
    doc = json.loads((EXAMPLES / "drifted.json").read_text())
    ws = next(r for r in doc["data"] if r["type"].endswith("/workspaces"))
    ws["properties"]["managedNetwork"]["outboundRules"]["user-rule"] = rule
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc))
    plan = tmp_path / "plan.json"
    result = CliRunner().invoke(
        cli,
        ["check", "--snapshot", str(path), "--fix", "--dry-run", "--plan-out", str(plan),
         "--color", "never"],
    )  # fmt: skip
    # exit 3 when the rule names a resource outside the scan (error findings), never 4
    assert result.exit_code in (EXIT_FINDINGS, EXIT_INCOMPLETE), result.output
    saved = json.loads(plan.read_text())
    assert any(a["operation"] == "create-role-assignment" for a in saved["actions"]), saved
    assert "internal error" not in result.output
