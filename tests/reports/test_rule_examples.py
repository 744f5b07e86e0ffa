"""Every built-in rule documents a passing and a failing example, and both say what they claim.

The rows of a rule's ``examples:`` block are laid over the compliant example estate and judged
through the real path (a snapshot file, ``run_scan``): with the passing rows the rule passes on
every instance it judges (and judges at least one resource), with the failing rows it fails on
at least one. Rules added in new rule files are picked up the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.reports.ruleexamples import (
    apply_rows,
    example_options,
    example_rows,
    examples_of,
    merge_patch,
)
from amlguard.scanner.model import Status
from amlguard.scanner.rules import Rule, load_pack
from amlguard.scanner.scan import ScanOptions, run_scan
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.conftest import EXAMPLES

PACK = load_pack([])
BASE: list[dict[str, Any]] = json.loads((EXAMPLES / "compliant.json").read_text("utf-8"))["data"]


def judge(rule: Rule, rows: list[dict[str, Any]], tmp_path: Path, kind: str) -> list[Any]:
    """The findings of ``rule`` alone on ``rows``, read back from a snapshot file."""
    path = tmp_path / f"{rule.id}-{kind}.json"
    path.write_text(json.dumps({"data": rows}), encoding="utf-8")
    result = run_scan(SnapshotSource([path]), PACK, [rule], ScanOptions(**example_options(rule)))
    return [f for f in result.findings if f.rule_id == rule.id]


def _describe(findings: list[Any]) -> str:
    return "; ".join(
        f"{f.status.value} {f.resource_id.rsplit('/', 1)[-1]}: {f.message}" for f in findings
    )


@pytest.mark.parametrize("rule", PACK.rules, ids=lambda r: r.id)
def test_the_passing_example_passes_everywhere(rule: Rule, tmp_path: Path) -> None:
    rows = example_rows(rule, "passing", BASE)
    if rows is None and examples_of(rule).get("passing_absent"):
        # An information rule reports every resource it selects: it says why, and fails.
        assert rule.severity.label == "info", f"{rule.id}: only info rules may lack a pass"
        return
    assert rows is not None, f"{rule.id} ({rule.source}) has no examples.passing"
    findings = judge(rule, rows, tmp_path, "passing")
    assert any(f.status is Status.PASS for f in findings), (
        f"{rule.id} judged nothing: {_describe(findings)}"
    )
    bad = [f for f in findings if f.status in (Status.FAIL, Status.ERROR)]
    assert not bad, f"{rule.id} passing example does not pass: {_describe(bad)}"


@pytest.mark.parametrize("rule", PACK.rules, ids=lambda r: r.id)
def test_the_failing_example_fails(rule: Rule, tmp_path: Path) -> None:
    rows = example_rows(rule, "failing", BASE)
    assert rows is not None, f"{rule.id} ({rule.source}) has no examples.failing"
    findings = judge(rule, rows, tmp_path, "failing")
    assert any(f.status is Status.FAIL for f in findings), (
        f"{rule.id} failing example does not fail: {_describe(findings)}"
    )


def test_a_rule_without_examples_has_none() -> None:
    class Bare:
        raw: dict[str, Any] = {"id": "X-1"}

    assert examples_of(Bare()) == {}
    assert example_rows(Bare(), "failing", BASE) is None
    with pytest.raises(ValueError, match="not one of"):
        example_rows(Bare(), "broken", BASE)


def test_rows_merge_by_id_in_any_case_and_null_removes() -> None:
    base: list[dict[str, Any]] = [
        {"id": "/A/b", "properties": {"x": 1, "y": {"z": 2}}, "tags": {"t": "1"}}
    ]
    out = apply_rows(
        base,
        [
            {"id": "/a/B", "properties": {"y": {"z": None, "w": [1]}}, "tags": None},
            {"id": "/c", "properties": {"gone": None, "kept": False}},
        ],
    )
    assert out == [
        {"id": "/A/b", "properties": {"x": 1, "y": {"w": [1]}}},
        {"id": "/c", "properties": {"kept": False}},
    ]
    assert base[0]["properties"]["y"] == {"z": 2}, "the base estate is never changed"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3)
    ),
    max_leaves=12,
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(base=st.dictionaries(st.text(max_size=3), _json, max_size=4), patch=_json)
def test_merge_patch_is_idempotent_and_leaves_no_null_it_was_given(base: Any, patch: Any) -> None:
    once = merge_patch(base, patch)
    assert merge_patch(once, patch) == once
    if isinstance(patch, dict):
        for key, value in patch.items():
            if value is None:
                assert key not in once
