"""The ``examples:`` blocks of the issue-13 part-B rules say what they claim.

Each block's rows are deep-merged over the bundled compliant estate (same id, compared
case-insensitively: merged into; others added). With the ``passing`` rows the rule passes on
every instance (and judges something); with the ``failing`` rows it fails on at least one.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from amlguard.scanner.model import Status
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.scanner.harness import of_rule, pack, scan

RULES = [
    "AMLG-213",
    "AMLG-224",
    "AMLG-234",
    "AMLG-235",
    "AMLG-236",
    "AMLG-237",
    "AMLG-238",
    "AMLG-239",
    "AMLG-241",
    "AMLG-250",
]


def merge(base: Any, patch: Any) -> Any:
    """``patch`` deep-merged into a copy of ``base`` (objects merge; anything else replaces)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(patch)


def over_compliant(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The compliant estate with ``rows`` merged in by id (case-insensitive), others added."""
    estate, _ = read_snapshot(EXAMPLES / "compliant.json")
    by_id = {str(r["id"]).lower(): i for i, r in enumerate(estate)}
    out = [copy.deepcopy(r) for r in estate]
    for row in rows:
        index = by_id.get(str(row["id"]).lower())
        if index is None:
            out.append(copy.deepcopy(row))
        else:
            out[index] = merge(out[index], row)
    return out


def examples(rule_id: str) -> dict[str, Any]:
    rule = pack().get(rule_id)
    assert rule is not None, rule_id
    block = rule.raw.get("examples")
    assert isinstance(block, dict), f"{rule_id} has no examples block"
    return block


@pytest.mark.parametrize("rule_id", RULES)
def test_passing_example_passes_everywhere(rule_id: str) -> None:
    findings = of_rule(
        scan(over_compliant(examples(rule_id)["passing"]), rule_ids=[rule_id]), rule_id
    )
    assert findings, f"{rule_id} judged nothing in its passing example"
    assert {f.status for f in findings} == {Status.PASS}, [(f.status, f.message) for f in findings]


@pytest.mark.parametrize("rule_id", RULES)
def test_failing_example_fails(rule_id: str) -> None:
    findings = of_rule(
        scan(over_compliant(examples(rule_id)["failing"]), rule_ids=[rule_id]), rule_id
    )
    assert any(f.status is Status.FAIL for f in findings), [(f.status, f.message) for f in findings]
