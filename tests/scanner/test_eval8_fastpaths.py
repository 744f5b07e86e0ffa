"""Session 8's evaluation fast paths give what the general code gives (eval8a).

The rule-by-rule order of ``Engine.run`` against judging instance by instance; ``fold`` of a
JSON list, ``_equals`` of two ints and ``containsAll`` against the code they replaced; a count
against a literal int against the general operator, on generated values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import conditions, operators
from amlguard.scanner.engine import Engine, EngineOptions
from amlguard.scanner.instances import build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Gap, Status
from amlguard.scanner.outbound_children import folded_inventory
from amlguard.scanner.paths import MISSING
from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint
from tests.scanner.harness import pack

ESTATES = Path(__file__).resolve().parents[2] / "examples" / "estates"

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=False, width=16),
    st.sampled_from(["x", "X", "true", "False", "", "Approved", "approved", "Blob", "blob"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["a", "A", "Id", "id"]), inner, max_size=3),
    ),
    max_leaves=10,
)


def _fold_reference(value: Any) -> Any:
    """``operators.fold`` as it was before its list fast path."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list):
        return [_fold_reference(v) for v in value]
    if isinstance(value, dict):
        return {str(k).lower(): _fold_reference(v) for k, v in value.items()}
    return value


def _equals_reference(a: Any, b: Any) -> bool:
    """``operators._equals`` as it was before its int fast path."""
    if a is MISSING:
        return False
    if type(a) is str and type(b) is not bool:
        return a.lower() == b
    if isinstance(a, bool) or isinstance(b, bool):
        return _fold_reference(a) == _fold_reference(b) or str(a).lower() == str(b).lower()
    return _fold_reference(a) == b


class _Text(str):
    """A str subclass: fold still lower-cases it (the fast path only takes JSON's own str)."""


@settings(derandomize=True, max_examples=400, deadline=None)
@given(_VALUES)
def test_fold_is_the_recursive_fold(value: Any) -> None:
    got = operators.fold(value)
    want = _fold_reference(value)
    assert repr(got) == repr(want)  # repr: NaN != NaN, and 1 == 1.0 == True would hide a change
    assert operators.fold([_Text("AbC"), value]) == ["abc", want] or want != want


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.one_of(_VALUES, st.just(MISSING)), _VALUES)
def test_equals_is_the_general_equals(a: Any, b: Any) -> None:
    folded = operators.fold(b)
    assert operators._equals(a, folded) == _equals_reference(a, folded)


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [
        (1, 1, True),
        (0, 1, False),
        (True, 1, True),
        (1, True, True),
        (0, False, True),
        (2, "2", False),
    ],
)
def test_equals_on_ints_and_bools(a: Any, b: Any, want: bool) -> None:
    assert operators._equals(a, b) is want
    assert _equals_reference(a, b) is want


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.one_of(_VALUES, st.just(MISSING)), _VALUES)
def test_contains_all_is_all_of_the_folded_items(a: Any, b: Any) -> None:
    folded_b = operators.fold(b)
    want = all(x in _fold_reference(operators._as_list(a)) for x in operators._as_list(folded_b))
    assert operators._contains_all(a, folded_b) is want


_COUNT_OPS = ["equals", "notEquals", "greater", "greaterOrEquals", "less", "lessOrEquals"]


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.sampled_from(_COUNT_OPS), st.integers(0, 5), st.integers(-2, 6))
def test_a_count_against_a_literal_int_is_the_general_operator(op: str, n: int, b: int) -> None:
    general = operators.operator(op, b)(n, operators.fold(b))
    assert conditions._COUNT_TESTS[op](n, b) is general


@pytest.mark.parametrize("op", _COUNT_OPS)
def test_a_compiled_count_answers_as_the_general_operator(op: str) -> None:
    """The count leaf takes the int shortcut only for an int operand: a bool or a float
    operand goes through the operator as before."""
    ctx: Any = type("Ctx", (), {"work": 0, "currents": {}, "field_scopes": [], "resource": {}})()
    for items in ([], [1], [1, 2, 3]):
        for operand in (0, 1, 2, True, False, 1.0, 1.5):
            cond = conditions.compile_condition({"count": {"value": items}, op: operand})
            want = operators.operator(op, operand)(len(items), operators.fold(operand))
            assert cond(ctx, None) is want, (items, op, operand)


def _estate(name: str) -> tuple[Inventory, list[Any]]:
    collected = SnapshotSource([ESTATES / name]).collect(needs_of(pack().rules))
    inventory = folded_inventory(Inventory(collected.rows))
    return inventory, build_instances(inventory, instance_settings(pack(), ScanOptions()))


@pytest.mark.parametrize(
    "estate", ["multi-workspace.json", "landing-zone-drifted.json", "virtual-wan-drifted.json"]
)
@pytest.mark.parametrize("gapped", [False, True])
def test_rule_by_rule_gives_the_instance_by_instance_findings(estate: str, gapped: bool) -> None:
    """``Engine.run`` judges each rule over every instance, then orders the findings by
    instance: the same list as judging one instance at a time, each on a fresh engine."""
    gaps = (Gap("throttled", resources=frozenset()),) if gapped else ()
    options = EngineOptions(gaps=gaps)
    inventory, instances = _estate(estate)
    assert len(instances) > 1
    together = Engine(inventory, pack().rules, options).run(instances)
    inventory, instances = _estate(estate)
    one_by_one = [
        f
        for instance in instances
        for f in Engine(inventory, pack().rules, options).run([instance])
    ]
    assert together == one_by_one
    assert {f.status for f in together} >= ({Status.ERROR} if gapped else {Status.PASS})


def test_rule_by_rule_takes_a_generator_and_an_empty_estate() -> None:
    inst = blueprint()
    inventory = Inventory(inst.rows())
    instances = build_instances(inventory)
    engine = Engine(inventory, pack().rules, EngineOptions())
    assert engine.run(iter(instances)) == Engine(inventory, pack().rules, EngineOptions()).run(
        instances
    )
    assert engine.run([]) == []


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.one_of(_VALUES, st.just(MISSING)), _VALUES)
def test_contains_on_a_list_is_membership_in_the_folded_list(a: Any, b: Any) -> None:
    folded_b = operators.fold(b)
    items = [a, [_Text("BLOB"), a]] if not isinstance(a, list) else [a, [*a, _Text("Blob")]]
    for value in items:
        want = folded_b in _fold_reference(value) if isinstance(value, list) else None
        if want is not None:
            assert operators._contains(value, folded_b) is want


def test_a_related_count_without_arguments_calls_its_source_with_the_context() -> None:
    seen: list[Any] = []

    def source(ctx: Any, target: Any = None) -> list[Any]:
        seen.append((ctx, target))
        return [{"status": "Approved"}, {"status": "Pending"}]

    conditions.RELATED.register("eval8Probe", source)
    try:  # registered for this test only: the pack's list of related sources stays as it is
        cond = conditions.compile_condition(
            {
                "count": {
                    "related": "eval8Probe",
                    "name": "x",
                    "where": {"value": "[current('x').status]", "equals": "approved"},
                },
                "equals": 1,
            }
        )
    finally:
        conditions.RELATED._entries.pop("eval8probe", None)
        conditions.RELATED._loaded.pop("eval8Probe", None)
    ctx: Any = type("Ctx", (), {"work": 0, "currents": {}, "field_scopes": [], "resource": {}})()
    assert cond(ctx, None) is True
    assert seen == [(ctx, None)]
    assert ctx.currents == {}  # the count put back what it set
