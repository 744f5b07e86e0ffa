"""A count puts back what ``current()`` named before it, however it ends."""

from __future__ import annotations

from typing import Any

import pytest

import amlguard.scanner.primitives  # noqa: F401  (registers functions and related sources)
from amlguard.scanner.conditions import compile_condition
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.privatelink import default_table


def _ctx(resource: dict[str, Any]) -> EvalContext:
    return EvalContext(resource, Inventory([]), None, {}, default_table())


def _count(alias: str | None, where: dict[str, Any], path: str = "properties.xs[*]") -> Any:
    spec: dict[str, Any] = {"field": path, "where": where}
    if alias is not None:
        spec["name"] = alias
    return {"count": spec, "greaterOrEquals": 1}


OUTER = {"properties": {"xs": [{"v": "a", "ys": [1, 2]}, {"v": "b", "ys": [3]}]}}


@pytest.mark.parametrize("alias", [None, "x", "y"])
def test_nested_counts_see_their_own_item_and_restore_the_outer_one(alias: str | None) -> None:
    """The inner count (same or other alias) leaves current() as the outer item it found."""
    inner = {
        "count": {"value": "[current('x').ys]", **({"name": alias} if alias else {})},
        "greaterOrEquals": 2,
    }
    cond = compile_condition(
        _count("x", {"allOf": [inner, {"value": "[current('x').v]", "equals": "a"}]})
    )
    ctx = _ctx(OUTER)
    ctx.currents.update({"": "before", "x": "outer x", "z": "kept"})
    assert cond(ctx, None) is True
    assert ctx.currents == {"": "before", "x": "outer x", "z": "kept"}


def test_a_count_leaves_no_current_behind_when_there_was_none() -> None:
    cond = compile_condition(_count("x", {"value": "[current('x').v]", "equals": "b"}))
    ctx = _ctx(OUTER)
    assert cond(ctx, None) is True
    assert ctx.currents == {}


def test_currents_restored_when_the_where_raises() -> None:
    """An undeterminable item ends the count; what current() named before is put back."""
    cond = compile_condition(_count("x", {"value": "[current('nope')]", "equals": 1}))
    ctx = _ctx(OUTER)
    ctx.currents["nope2"] = 1
    with pytest.raises(Undeterminable):
        cond(ctx, None)
    assert ctx.currents == {"nope2": 1}
