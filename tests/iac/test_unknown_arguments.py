"""A rule function given a value known only after deployment answers with that unknown, so the
finding is ``error`` naming it, never a verdict about the unknown's placeholder text (the
length of ``<unknown: ...>`` once passed AMLG-239; ``vnetOf`` of it failed AMLG-112)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.iac.test_rules import Template
from tests.iac.test_rules_more import _res, extended, scan_all, ws

_LATER = "[reference(resourceId('Microsoft.Resources/deployments', 'later')).outputs.v.value]"


def _fqdns_later(t: Template) -> None:
    _res("Microsoft.CognitiveServices/accounts")(t)["properties"]["allowedFqdnList"] = _LATER


def _identity_type_later(t: Template) -> None:
    ws(t)["identity"]["type"] = _LATER


# rule -> the mutation that makes the value its function reads unknown (length, split)
CASES = {"AMLG-239": _fqdns_later, "AMLG-105": _identity_type_later}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_a_function_of_an_unknown_is_unknown(tmp_path: Path, rule_id: str) -> None:
    template = extended()
    CASES[rule_id](template)
    result, _, _ = scan_all(tmp_path, template)
    found = [f for f in result.findings if f.rule_id == rule_id]
    assert [f.status.value for f in found] == ["error"]
    assert "unknown before deployment: " in found[0].message
    assert "deployments/later" in found[0].message
