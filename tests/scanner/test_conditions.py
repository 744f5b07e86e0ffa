"""The condition evaluator: Azure Policy operators, absent values, ``[*]``, counts, algebra."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import amlguard.scanner.primitives  # noqa: F401  (registers functions and related sources)
from amlguard.scanner.conditions import ConditionError, compile_condition
from amlguard.scanner.context import EvalContext
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.leaftypes import guard
from amlguard.scanner.operators import fold
from amlguard.scanner.paths import MISSING
from amlguard.scanner.privatelink import default_table
from amlguard.scanner.shapes import MalformedValue

ascii_text = st.text(alphabet=string.ascii_letters + string.digits + "-_ ./", max_size=12)
scalar = st.one_of(st.booleans(), st.integers(-100, 100), ascii_text)
json_value = st.recursive(
    st.one_of(st.none(), scalar),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(ascii_text, inner, max_size=3)
    ),
    max_leaves=10,
)
present = json_value.filter(lambda v: v is not None)


def ctx(resource: dict[str, Any], params: dict[str, Any] | None = None) -> EvalContext:
    return EvalContext(
        resource=resource,
        inventory=Inventory([]),
        instance=None,
        params=params or {},
        private_link=default_table(),
    )


def holds(
    node: dict[str, Any], resource: dict[str, Any], params: dict[str, Any] | None = None
) -> bool:
    """Evaluate on the fast path and the explaining path; both must agree."""
    cond = compile_condition(node)
    fast = cond(ctx(resource, params), None)
    trace: list[Any] = []
    explained = cond(ctx(resource, params), trace)
    assert fast == explained
    assert fast or trace, "a failing condition must explain itself"
    return fast


def leaf(op: str, operand: Any, path: str = "properties.v") -> dict[str, Any]:
    return {"field": path, op: operand}


def res(value: Any = MISSING) -> dict[str, Any]:
    return {"properties": {} if value is MISSING else {"v": value}}


# ---------------------------------------------------------------- equals / notEquals / in


@settings(max_examples=60, deadline=None)
@given(text=ascii_text)
def test_equals_ignores_case(text: str) -> None:
    assert holds(leaf("equals", text.swapcase()), res(text))
    assert holds(leaf("equals", text.upper()), res(text.lower()))


@settings(max_examples=60, deadline=None)
@given(actual=present, operand=present)
def test_not_equals_is_the_negation_of_equals_for_present_values(actual: Any, operand: Any) -> None:
    eq = holds(leaf("equals", operand), res(actual))
    if _mistyped("notEquals", operand, actual):  # a wrong JSON type errs (leaftypes)
        with pytest.raises(MalformedValue):
            holds(leaf("notEquals", operand), res(actual))
        return
    assert holds(leaf("notEquals", operand), res(actual)) is (not eq)


@settings(max_examples=60, deadline=None)
@given(actual=present, options=st.lists(present, max_size=4))
def test_in_is_any_equals_and_not_in_its_negation(actual: Any, options: list[Any]) -> None:
    inside = holds(leaf("in", options), res(actual))
    assert inside is any(holds(leaf("equals", o), res(actual)) for o in options)
    if _mistyped("notIn", options, actual):  # a wrong JSON type errs (leaftypes)
        with pytest.raises(MalformedValue):
            holds(leaf("notIn", options), res(actual))
        return
    assert holds(leaf("notIn", options), res(actual)) is (not inside)


def _mistyped(op: str, operand: Any, actual: Any) -> bool:
    typed = guard(op, operand)
    return typed is not None and typed(actual) is not None


@settings(max_examples=60, deadline=None)
@given(operand=present, options=st.lists(present, max_size=3))
def test_absent_fails_positive_operators_and_passes_negative_ones(
    operand: Any, options: list[Any]
) -> None:
    for resource in (res(), res(None)):
        assert not holds(leaf("equals", operand), resource)
        assert not holds(leaf("in", options), resource)
        assert not holds(leaf("exists", True), resource)
        assert holds(leaf("notEquals", operand), resource)
        assert holds(leaf("notIn", options), resource)
        assert holds(leaf("exists", False), resource)


def test_absent_value_is_explained_as_absent() -> None:
    cond = compile_condition(leaf("equals", "Disabled"))
    trace: list[Any] = []
    assert not cond(ctx(res()), trace)
    assert trace[0].actual == "absent" and trace[0].expected == "Disabled"
    assert trace[0].path == "properties.v"


@pytest.mark.parametrize(("actual", "operand"), [(True, "true"), ("TRUE", True), (False, "False")])
def test_booleans_equal_their_text(actual: Any, operand: Any) -> None:
    assert holds(leaf("equals", operand), res(actual))


def test_numbers_compare_by_value() -> None:
    assert holds(leaf("equals", 1), res(1.0))
    assert not holds(leaf("equals", "1"), res(1))


@settings(max_examples=60, deadline=None)
@given(a=st.integers(-50, 50), b=st.integers(-50, 50))
def test_ordering_operators_follow_numbers(a: int, b: int) -> None:
    assert holds(leaf("greater", b), res(a)) is (a > b)
    assert holds(leaf("greaterOrEquals", b), res(a)) is (a >= b)
    assert holds(leaf("less", b), res(a)) is (a < b)
    assert holds(leaf("lessOrEquals", b), res(a)) is (a <= b)


def test_ordering_on_absent_or_non_numbers_fails() -> None:
    for op in ("greater", "greaterOrEquals", "less", "lessOrEquals"):
        assert not holds(leaf(op, 1), res())
        assert not holds(leaf(op, 1), res({"x": 1}))


# ---------------------------------------------------------------- contains / like / match


def test_contains_on_strings_lists_and_maps() -> None:
    assert holds(leaf("contains", "userassigned"), res("SystemAssigned,UserAssigned"))
    assert holds(leaf("contains", "Blob"), res(["blob", "file"]))
    assert holds(leaf("contains", "KEY"), res({"Key": 1}))
    assert not holds(leaf("contains", "x"), res())
    assert holds(leaf("notContains", "x"), res())
    assert holds(leaf("containsAll", ["A", "b"]), res(["a", "B", "c"]))
    assert not holds(leaf("containsAll", ["a", "z"]), res(["a"]))
    assert holds(leaf("containsAny", ["z", "C"]), res(["a", "c"]))
    assert holds(leaf("containsAll", []), res())


def test_like_and_match() -> None:
    assert holds(leaf("like", "privatelink.*.AZURE.com"), res("PrivateLink.openai.azure.com"))
    assert not holds(leaf("like", "privatelink.*"), res())
    assert holds(leaf("notLike", "abc*"), res("xabc"))
    # '*' is the only wildcard (fnmatch's '?' and '[...]' are literal in Azure Policy).
    assert holds(leaf("like", "rg-[prod]-*"), res("RG-[PROD]-01"))
    assert not holds(leaf("like", "rg-[prod]-*"), res("rg-p-01"))
    assert not holds(leaf("like", "a?c"), res("abc"))
    assert holds(leaf("like", "a?c"), res("A?C"))
    assert holds(leaf("like", "*"), res("")) and not holds(leaf("like", "*"), res(1))
    assert not holds(leaf("like", "[parameters('missing')]"), res("x"), {})
    assert holds(leaf("match", "AMLG-###"), res("amlg-104"))
    assert not holds(leaf("match", "AMLG-###"), res("AMLG-10x"))
    assert holds(leaf("match", "??-#"), res("Ns-2"))
    assert holds(leaf("notMatch", "#"), res(12))


# ---------------------------------------------------------------- [*] and count


items = st.lists(
    st.one_of(
        st.fixed_dictionaries({"v": st.sampled_from(["a", "A", "b", ""])}),
        st.fixed_dictionaries({}),
        st.fixed_dictionaries({"v": st.none()}),
    ),
    max_size=6,
)


def matches(item: dict[str, Any], wanted: str) -> bool:
    value = item.get("v")
    return isinstance(value, str) and value.lower() == wanted.lower()


@settings(max_examples=60, deadline=None)
@given(values=items, wanted=st.sampled_from(["a", "B"]))
def test_wildcard_field_means_every_item(values: list[dict[str, Any]], wanted: str) -> None:
    resource = {"properties": {"list": values}}
    got = holds(leaf("equals", wanted, "properties.list[*].v"), resource)
    assert got is all(matches(i, wanted) for i in values)


@settings(max_examples=60, deadline=None)
@given(values=items, wanted=st.sampled_from(["a", "B"]), as_map=st.booleans())
def test_count_is_the_number_of_matching_items(
    values: list[dict[str, Any]], wanted: str, as_map: bool
) -> None:
    coll: Any = {f"k{i}": v for i, v in enumerate(values)} if as_map else values
    resource = {"properties": {"list": coll}}
    expected = sum(matches(i, wanted) for i in values)
    node = {
        "count": {
            "field": "properties.list[*]",
            "where": leaf("equals", wanted, "properties.list[*].v"),
        },
        "equals": expected,
    }
    assert holds(node, resource)
    node["equals"] = expected + 1
    assert not holds(node, resource)
    assert holds({"count": {"field": "properties.list[*]"}, "equals": len(values)}, resource)


def test_nested_field_counts_scope_to_the_current_item() -> None:
    resource = {
        "properties": {
            "rules": [
                {"targets": [{"g": "a"}, {"g": "b"}]},
                {"targets": [{"g": "a"}]},
                {"targets": []},
            ]
        }
    }
    node = {
        "count": {
            "field": "properties.rules[*]",
            "where": {
                "count": {
                    "field": "properties.rules[*].targets[*]",
                    "where": leaf("equals", "A", "properties.rules[*].targets[*].g"),
                },
                "equals": 1,
            },
        },
        "equals": 2,
    }
    assert holds(node, resource)


def test_value_count_with_named_current() -> None:
    node = {
        "count": {
            "value": "[parameters('modes')]",
            "name": "m",
            "where": {"field": "properties.v", "equals": "[current('m')]"},
        },
        "equals": 1,
    }
    assert holds(node, res("B"), {"modes": ["a", "b", "c"]})
    assert not holds(node, res("z"), {"modes": ["a", "b", "c"]})


def test_count_failure_lists_the_offending_items() -> None:
    resource = {
        "properties": {
            "list": [{"id": "/x/one", "v": "bad"}, {"name": "two", "v": "bad"}, {"v": "ok"}]
        }
    }
    node = {
        "count": {
            "field": "properties.list[*]",
            "where": leaf("equals", "bad", "properties.list[*].v"),
        },
        "equals": 0,
    }
    trace: list[Any] = []
    assert not compile_condition(node)(ctx(resource), trace)
    assert trace[0].offenders == ("/x/one", "two")
    assert trace[0].actual == 2
    assert trace[0].expected == "no properties.list[*] item matching the condition"


# ---------------------------------------------------------------- allOf / anyOf / not algebra


def const(b: bool) -> dict[str, Any]:
    return {"value": b, "equals": True}


trees = st.recursive(
    st.booleans().map(lambda b: ("leaf", b)),
    lambda inner: st.one_of(
        st.tuples(st.just("allOf"), st.lists(inner, min_size=1, max_size=3)),
        st.tuples(st.just("anyOf"), st.lists(inner, min_size=1, max_size=3)),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=12,
)


def to_node(tree: Any) -> dict[str, Any]:
    kind, body = tree
    if kind == "leaf":
        return const(body)
    if kind == "not":
        return {"not": to_node(body)}
    return {kind: [to_node(t) for t in body]}


def truth(tree: Any) -> bool:
    kind, body = tree
    if kind == "leaf":
        return bool(body)
    if kind == "not":
        return not truth(body)
    values = [truth(t) for t in body]
    return all(values) if kind == "allOf" else any(values)


@settings(max_examples=150, deadline=None)
@given(tree=trees)
def test_logic_matches_python(tree: Any) -> None:
    assert holds(to_node(tree), {}) is truth(tree)


@settings(max_examples=60, deadline=None)
@given(a=trees, b=trees)
def test_de_morgan(a: Any, b: Any) -> None:
    na, nb = to_node(a), to_node(b)
    left = holds({"not": {"allOf": [na, nb]}}, {})
    assert left is holds({"anyOf": [{"not": na}, {"not": nb}]}, {})
    assert holds({"not": {"not": na}}, {}) is holds(na, {})


# ---------------------------------------------------------------- parameters and errors


def test_operand_from_parameters_is_folded() -> None:
    node = leaf("in", "[parameters('allowed')]")
    assert holds(node, res("allowinternetoutbound"), {"allowed": ["AllowInternetOutbound"]})
    assert not holds(node, res("Disabled"), {"allowed": ["AllowInternetOutbound"]})
    assert not holds(node, res("Disabled"), {})  # unknown parameter: nothing is allowed


def test_escaped_bracket_literal() -> None:
    assert holds(leaf("equals", "[[literal]"), res("[literal]"))


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"field": "a", "equals": 1, "notEquals": 2}, "exactly one operator"),
        ({"field": "a"}, "exactly one operator"),
        ({"equals": 1}, "needs 'field', 'value' or 'count'"),
        ({"count": {"field": "a.b"}, "equals": 0}, "must end with [*]"),
        ({"count": {"related": "nope"}, "equals": 0}, "unknown related source 'nope'"),
        ({"count": {"where": {"value": 1, "equals": 1}}, "equals": 0}, "count needs"),
        (
            {"count": {"related": "vnetLinks", "with": {"zones": "x"}}, "equals": 0},
            "related source 'vnetLinks' takes zone, vnet; got zones",
        ),
        (
            {"count": {"related": "roleAssignments"}, "equals": 0},
            "related source 'roleAssignments' takes principal, scope, role; got nothing",
        ),
    ],
)
def test_malformed_conditions(node: dict[str, Any], message: str) -> None:
    with pytest.raises(ConditionError, match=message.replace("[", r"\[").replace("*", r"\*")):
        compile_condition(node)


@settings(max_examples=60, deadline=None)
@given(value=json_value)
def test_fold_is_idempotent(value: Any) -> None:
    assume(value is not None)
    assert fold(fold(value)) == fold(value)
