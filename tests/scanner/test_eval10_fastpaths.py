"""Session 10's evaluation fast paths give what the general code gives (eval10).

Each fast path is compared with the reading it stands in for: the fused ``current('x').y`` and
``instance().y`` evaluators with the generic member step, a count without an item condition
with the same count through the item loop, the fused root with the wrapped one, the inline
``parameters('x')`` arguments of related calls, ``notEquals``/``notIn``, ``is: resourceId``'s
single lower-casing, the shape readers' early returns, the lazy ``Where`` path, AMLG-106's
remembered role GUIDs and the selections' memo reads.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import approval, conditions, expressions, ids, operators, shapes, targets
from amlguard.scanner.conditions import compile_condition
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.engine import Engine, EngineOptions
from amlguard.scanner.expressions import compile_value
from amlguard.scanner.instances import build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.outbound_children import folded_inventory
from amlguard.scanner.paths import MISSING
from amlguard.scanner.primitives import _bind_current, _instance
from amlguard.scanner.relatedcall import positional_call
from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of
from amlguard.scanner.sources.snapshot import SnapshotSource
from amlguard.scanner.unknown import Unknown, UnknownValue
from amlguard.scanner.valuetypes import _resource_id_text
from tests.scanner.harness import pack

ESTATES = Path(__file__).resolve().parents[2] / "examples" / "estates"

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.text(alphabet="aAbB tTrRuUeE1", max_size=5),
    st.sampled_from(["Approved", "approved", "true", "True", "1", ""]),
)
_VALUES = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=3), st.just(MISSING))


def _estate(name: str) -> tuple[Inventory, list[Any]]:
    collected = SnapshotSource([ESTATES / name]).collect(needs_of(pack().rules))
    inventory = folded_inventory(Inventory(collected.rows))
    return inventory, build_instances(inventory, instance_settings(pack(), ScanOptions()))


def _ctx(**kw: Any) -> EvalContext:
    ctx = EvalContext(resource={}, inventory=None, instance=None, params={}, private_link=None)  # type: ignore[arg-type]
    for key, value in kw.items():
        setattr(ctx, key, value)
    return ctx


def _outcome(ev: Any, ctx: Any) -> tuple[str, Any]:
    try:
        return "value", ev(ctx)
    except Undeterminable as exc:
        return type(exc).__name__, str(exc)


# ---------------------------------------------------------------- fused member evaluators


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.sampled_from(["pe", "", "conn"]),
    st.sampled_from(["status", "Status", "zones", "id"]),
    st.one_of(
        st.dictionaries(st.sampled_from(["status", "STATUS", "zones", "id"]), _VALUES, max_size=3),
        _VALUES,
    ),
    st.booleans(),
)
def test_current_member_is_the_member_of_current(
    alias: str, name: str, item: Any, present: bool
) -> None:
    bound = _bind_current(alias)
    fused = expressions._member(bound, name)
    general = expressions._member(lambda ctx: bound(ctx), name)  # no fusion: the generic step
    assert fused is not general
    ctx = _ctx(currents={alias: item} if present else {})
    assert _outcome(fused, ctx) == _outcome(general, ctx)


def test_an_unknown_current_has_unknown_members() -> None:
    unknown = Unknown("pe:properties")
    ctx = _ctx(currents={"pe": unknown})
    got = compile_value("[current('pe').status]")(ctx)
    want = expressions._member(lambda c: c.currents["pe"], "status")(ctx)
    assert type(got) is Unknown and got == want


@pytest.mark.parametrize("estate", ["landing-zone-drifted.json", "foundry-hub-drifted.json"])
def test_instance_member_is_the_member_of_instance(estate: str) -> None:
    inventory, instances = _estate(estate)
    names = ["solutionVnetId", "principalId", "kind", "customVnet", "missing", "ID"]
    for instance in [None, *instances]:
        ctx = _ctx(inventory=inventory, instance=instance)
        for name in names:
            fused = expressions._member(_instance, name)
            general = expressions._member(lambda c: _instance(c), name)
            assert _outcome(fused, ctx) == _outcome(general, ctx)
            assert _outcome(compile_value(f"[instance().{name}]"), ctx) == _outcome(general, ctx)


def test_a_call_without_arguments_is_the_function() -> None:
    assert expressions._call(_instance, []) is _instance


# ---------------------------------------------------------------- counts and the root


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.lists(_SCALARS, max_size=5),
    st.sampled_from(["equals", "greaterOrEquals", "greater", "less", "notEquals"]),
    st.integers(0, 3),
    st.booleans(),
)
def test_a_count_without_where_is_the_count_through_the_item_loop(
    items: list[Any], op: str, operand: int, root: bool
) -> None:
    plain: dict[str, Any] = {"count": {"value": "[parameters('items')]"}, op: operand}
    looped: dict[str, Any] = {
        "count": {"value": "[parameters('items')]", "where": {"value": True, "equals": True}},
        op: operand,
    }
    # as a rule's whole condition, and as a branch of one (the non-root form)
    wrap = (lambda n: n) if root else (lambda n: {"anyOf": [n, {"value": 1, "equals": 2}]})
    for trace in (None, []):
        a, b = _ctx(params={"items": items}), _ctx(params={"items": items})
        ta = None if trace is None else []
        tb = None if trace is None else []
        assert compile_condition(wrap(plain))(a, ta) == compile_condition(wrap(looped))(b, tb)
        assert ta == tb


def test_the_fused_root_starts_a_fresh_budget_and_keeps_the_bound() -> None:
    node = {"count": {"value": "[parameters('items')]"}, "greater": 0}
    cond = compile_condition(node)
    ctx = _ctx(params={"items": [1]})
    ctx.work = conditions.WORK_BOUND  # left over from another judgement
    assert cond(ctx, None) is True and ctx.work == 2
    ctx = _ctx(params={"items": list(range(conditions.WORK_BOUND + 1))})
    with pytest.raises(Undeterminable, match="work bound"):
        cond(ctx, None)
    all_of = compile_condition({"allOf": [node, node]})
    ctx = _ctx(params={"items": [1, 2]})
    ctx.work = conditions.WORK_BOUND
    assert all_of(ctx, None) is True and ctx.work == 6


def _wrapped(node: Any) -> Any:
    """A condition compiled as before session 10: the whole tree, then a root wrapper."""
    inner = conditions._compile(node, 0)

    def root(ctx: Any, trace: Any) -> bool:
        ctx.work = 0
        return inner(ctx, trace)

    return root


@pytest.mark.parametrize("estate", sorted(p.name for p in ESTATES.glob("*.json")))
def test_fused_roots_judge_as_the_wrapped_ones(estate: str) -> None:
    """Every rule of the pack over every instance: the findings with the fused roots are the
    findings with every condition and ``where`` compiled through the plain wrapper."""
    inventory, instances = _estate(estate)
    fast = Engine(inventory, pack().rules, EngineOptions()).run(instances)
    general_rules = []
    for rule in pack().rules:
        changes: dict[str, Any] = {"condition": _wrapped(rule.raw["condition"])}
        if rule.raw.get("where") is not None:
            changes["where"] = _wrapped(rule.raw["where"])
        general_rules.append(dataclasses.replace(rule, **changes))
    inventory, instances = _estate(estate)
    general = Engine(inventory, general_rules, EngineOptions()).run(instances)
    assert fast and [repr(f) for f in fast] == [repr(f) for f in general]


# ---------------------------------------------------------------- related calls


def _source(ctx: Any, a: Any = None, b: Any = "b-default", c: Any = None) -> list[Any]:
    return [a, b, c]


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["x", "y"]), _VALUES, max_size=2), _VALUES)
def test_parameter_arguments_read_inline_are_the_evaluated_ones(
    params: dict[str, Any], current: Any
) -> None:
    param = compile_value("[parameters('x')]")
    other = compile_value("[current('pe')]")
    assert getattr(param, expressions.PARAMETER) == "x"
    inline = positional_call(_source, {}, [("a", param), ("c", other)])
    general = positional_call(_source, {}, [("a", lambda ctx: param(ctx)), ("c", other)])
    for currents in ({"pe": current}, {}):
        ctx = _ctx(params=params, currents=currents)
        assert _outcome(inline, ctx) == _outcome(general, ctx)
    ctx = _ctx(params={"x": Unknown("x")}, currents={"pe": 1})
    with pytest.raises(UnknownValue):
        inline(ctx)


# ---------------------------------------------------------------- operators and types


@settings(derandomize=True, max_examples=500, deadline=None)
@given(_VALUES, _VALUES)
def test_negated_operators_are_the_negations(actual: Any, operand: Any) -> None:
    for name, positive in (("notEquals", operators._equals), ("notIn", operators._in)):
        folded = operators.fold(operand)
        assert operators.operator(name, operand)(actual, folded) is (not positive(actual, folded))


def _resource_id_reference(value: str) -> bool:
    """``_resource_id_text`` before session 10 (a lower() per segment)."""
    text = value.strip()
    if not text.startswith("/") or text != value or text.split() != [text]:
        return False
    parts = text.rstrip("/").split("/")[1:]
    if not parts or any(not p for p in parts):
        return False
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return False
    tail = parts[len(lowered) - 1 - lowered[::-1].index("providers") + 1 :]
    return len(tail) >= 3 and len(tail) % 2 == 1 and "." in tail[0]


_SEGMENTS = st.sampled_from(
    [
        "subscriptions",
        "s1",
        "resourceGroups",
        "PROVIDERS",
        "providers",
        "Microsoft.Storage",
        "storageAccounts",
        "ΑΣ",
        "İx",
        "",
        " a",
        "n.x",
    ]
)


@settings(derandomize=True, max_examples=500, deadline=None)
@given(st.lists(_SEGMENTS, max_size=9), st.sampled_from(["", "/", "//", " "]))
def test_resource_id_text_is_the_reference(segments: list[str], tail: str) -> None:
    value = "/" + "/".join(segments) + tail
    assert _resource_id_text(value) is _resource_id_reference(value)


# ---------------------------------------------------------------- shapes


def _obj_reference(value: Any, where: shapes.Where) -> Any:
    if shapes._absent(value):
        return None
    shapes._check(value, where)
    if isinstance(value, dict):
        return value
    raise shapes._malformed(value, where, "an object")


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.one_of(_VALUES, st.dictionaries(st.text(max_size=2), _SCALARS, max_size=2)))
def test_shape_readers_are_the_reference(value: Any) -> None:
    at = shapes.Where("/subscriptions/s/x", "properties") / "a" / 0
    for fast, kind, expected in (
        (shapes.obj, dict, "an object"),
        (shapes.text, str, "a string"),
        (shapes.items, list, "a list"),
    ):

        def reference(
            v: Any, where: shapes.Where, kind: type = kind, expected: str = expected
        ) -> Any:
            if shapes._absent(v):
                return None
            shapes._check(v, where)
            if isinstance(v, kind):
                return v
            raise shapes._malformed(v, where, expected)

        assert _outcome(lambda _c, f=fast: f(value, at), None) == _outcome(
            lambda _c: reference(value, at), None
        )
    unknown = Unknown("row:properties")
    with pytest.raises(UnknownValue, match=r"properties\.a\[0\]"):
        shapes.text(unknown, at)
    assert _obj_reference({}, at) == shapes.obj({}, at)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.sampled_from(["", "properties", "a.b"]),
    st.lists(st.one_of(st.integers(0, 3), st.text(max_size=3)), max_size=4),
)
def test_a_lazy_where_path_is_the_eager_one(base: str, keys: list[Any]) -> None:
    where = shapes.Where("/r", base)
    path = base
    for key in keys:
        where = where / key
        step = f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
        path = f"{path}{step}"
    assert where.path == path
    assert str(where) == f"{path} of /r"
    assert where.resource == "/r"


# ---------------------------------------------------------------- AMLG-106, selections


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.one_of(
        st.lists(st.one_of(st.text(max_size=8), st.integers(), st.none()), max_size=3), st.none()
    ),
    st.one_of(st.text(max_size=8), st.none()),
)
def test_remembered_accepted_guids_are_worked_out_ones(accepted: Any, role: Any) -> None:
    want = {ids.guid_tail(str(r)) for r in [*approval._list(accepted), role] if r}
    assert set(approval._accepted_guids(accepted, role)) == want
    assert set(approval._accepted_guids(accepted, role)) == want  # the remembered one


def test_selected_targets_are_target_of() -> None:
    inventory, instances = _estate("multi-workspace.json")
    for instance in instances:
        rids = [*instance.associated.values(), *instance.integrated, "/subscriptions/x/y"]
        first = targets._targets(inventory, rids)
        assert first == [targets.target_of(inventory, r) for r in rids]
        again = targets._targets(inventory, rids)
        assert all(a is b for a, b in zip(first, again, strict=True))  # the memo's objects
    unknown = Unknown("ws:outboundRules.x")
    assert targets._targets(inventory, [unknown])[0].missing_reason


@pytest.mark.parametrize("roles", [None, ["storageAccount"], ["KEYVAULT", "containerRegistry"]])
def test_associated_roles_are_matched_case_insensitively(roles: Any) -> None:
    inventory, instances = _estate("multi-workspace.json")
    spec = {"select": "associated", **({"roles": roles} if roles else {})}
    for instance in instances:
        got = targets._associated(instance, inventory, spec).targets
        wanted = {r.lower() for r in roles} if roles else None
        want = [
            targets.target_of(inventory, rid)
            for role, rid in instance.associated.items()
            if wanted is None or role.lower() in wanted
        ]
        assert got == want
