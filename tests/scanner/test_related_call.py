"""A related source's arguments reach it by position exactly as they would by keyword."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner.conditions import _positional_call

_DEFAULT: Any = object()


def _source(ctx: Any, a: Any = None, b: Any = _DEFAULT, c: Any = 3, d: Any = "d") -> list[Any]:
    return [ctx, a, b, c, d]


def _kw_only(ctx: Any, a: Any = None, *, b: Any = 2) -> list[Any]:
    return [ctx, a, b]


@pytest.mark.parametrize(
    ("bound", "computed"),
    [
        ({}, ["a"]),
        ({}, ["c"]),  # a and b keep their defaults, d is not passed
        ({"a": "lit"}, ["d"]),
        ({"d": "lit"}, ["b"]),
        ({"b": None, "c": [1]}, ["a", "d"]),
        ({}, ["d", "a", "c", "b"]),
    ],
)
def test_positions_match_keywords(bound: dict[str, Any], computed: list[str]) -> None:
    evaluators = [(k, lambda ctx, k=k: f"{k}@{ctx}") for k in computed]
    call = _positional_call(_source, bound, evaluators)
    expected = _source("ctx", **{k: f"{k}@ctx" for k in computed}, **bound)
    assert call("ctx") == expected  # type: ignore[arg-type]
    assert call("other") != expected  # type: ignore[arg-type]  # evaluated per call


def test_a_keyword_only_parameter_keeps_the_keywords() -> None:
    call = _positional_call(_kw_only, {"a": 1}, [("b", lambda ctx: ctx)])
    assert call("x") == ["x", 1, "x"]  # type: ignore[arg-type]
