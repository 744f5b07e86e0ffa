"""The ``examples:`` blocks of AMLG-110, 111, 114, 203 and 204 say what they claim: deep-merged
over the compliant example estate's rows (by id, case-insensitively), the rule passes on every
instance with ``passing`` and fails on at least one with ``failing``."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from amlguard.scanner.model import Status
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.scanner.harness import pack, scan

RULES = ["AMLG-110", "AMLG-111", "AMLG-114", "AMLG-203", "AMLG-204"]


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _estate(patch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows, _ = read_snapshot(EXAMPLES / "compliant.json")
    by_id = {str(r["id"]).lower(): i for i, r in enumerate(rows)}
    out = [copy.deepcopy(r) for r in rows]
    for row in patch:
        i = by_id.get(str(row["id"]).lower())
        if i is None:
            parts = str(row["id"]).split("/")
            out.append(
                _merge(
                    {
                        "name": parts[-1],
                        "resourceGroup": parts[4].lower(),
                        "subscriptionId": parts[2],
                    },
                    row,
                )
            )
        else:
            out[i] = _merge(out[i], row)
    return out


@pytest.mark.parametrize("rule_id", RULES)
def test_examples_pass_and_fail_as_documented(rule_id: str) -> None:
    rule = pack().get(rule_id)
    assert rule is not None
    examples = rule.raw["examples"]
    passing = [f for f in scan(_estate(examples["passing"]), rule_ids=[rule_id])]
    assert passing and all(f.status is Status.PASS for f in passing), passing
    failing = scan(_estate(examples["failing"]), rule_ids=[rule_id])
    assert any(f.status is Status.FAIL for f in failing), failing
