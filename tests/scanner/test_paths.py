"""The path resolver: parsing, case-insensitive names, ``[*]`` and ``[N]``, against a naive walker."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import paths
from amlguard.scanner.paths import MISSING, PathError, compile_path

NAMES = ["a", "B", "c", "Props", "x"]

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["s", "T", ""]))
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(NAMES), inner, max_size=4),
    ),
    max_leaves=25,
)
segment = st.one_of(
    st.sampled_from(NAMES).flatmap(lambda n: st.sampled_from([n, n.lower(), n.upper()])),
    st.just(paths.WILDCARD),
    st.integers(0, 2),
)
segments = st.lists(segment, min_size=1, max_size=5).filter(lambda s: isinstance(s[0], str))


def naive_get(obj: Any, name: str) -> Any:
    if not isinstance(obj, dict):
        return MISSING
    for k, v in obj.items():
        if k.lower() == name.lower():
            return v
    return MISSING


def naive(obj: Any, segs: list[Any]) -> list[Any]:
    """Reference semantics: every value reached, MISSING where a branch ends early."""
    if not segs:
        return [obj]
    head, rest = segs[0], segs[1:]
    if head == paths.WILDCARD:
        items = (
            obj if isinstance(obj, list) else list(obj.values()) if isinstance(obj, dict) else []
        )
        return [v for item in items for v in naive(item, rest)]
    if isinstance(head, int):
        nxt = obj[head] if isinstance(obj, list) and head < len(obj) else MISSING
    else:
        nxt = naive_get(obj, head)
    if nxt is MISSING or nxt is None:
        return [MISSING]
    return naive(nxt, rest)


def render(segs: list[Any]) -> str:
    return paths.format_path(segs)


@settings(max_examples=150, deadline=None)
@given(obj=json_value, segs=segments)
def test_compiled_resolution_agrees_with_a_naive_walker(obj: Any, segs: list[Any]) -> None:
    compiled = compile_path(render(segs))
    assert list(compiled) == segs
    expected = naive(obj, segs)
    if paths.WILDCARD in segs:
        assert paths.resolve_all(obj, compiled) == expected
    else:
        assert [paths.resolve(obj, compiled)] == expected


@settings(max_examples=60, deadline=None)
@given(segs=segments)
def test_format_and_compile_round_trip(segs: list[Any]) -> None:
    assert compile_path(render(segs)) == tuple(segs)


def test_examples() -> None:
    row = {
        "properties": {
            "managedNetwork": {
                "outboundRules": {
                    "a": {"type": "PrivateEndpoint", "destination": {"sparkEnabled": True}},
                    "b": {"type": "FQDN", "destination": "example.org"},
                }
            },
            "list": [{"v": 1}, {"v": None}, {}],
        }
    }
    rules = compile_path("properties.managedNetwork.outboundRules[*].type")
    assert paths.resolve_all(row, rules) == ["PrivateEndpoint", "FQDN"]
    spark = compile_path("PROPERTIES.managednetwork.OutboundRules[*].destination.sparkEnabled")
    assert paths.resolve_all(row, spark) == [True, MISSING]
    assert paths.resolve_all(row, compile_path("properties.list[*].v")) == [1, MISSING, MISSING]
    assert paths.resolve(row, compile_path("properties.list[0].v")) == 1
    assert paths.resolve(row, compile_path("properties.list[7].v")) is MISSING
    assert paths.resolve(row, compile_path("properties.nothing")) is MISSING
    assert paths.resolve_all(row, compile_path("properties.nothing[*]")) == [MISSING]
    assert paths.resolve_all({"l": []}, compile_path("l[*]")) == []


def test_exact_key_wins_over_other_casing() -> None:
    obj = {"Name": 1, "name": 2}
    assert paths.get_key(obj, "name") == 2
    assert paths.get_key(obj, "Name") == 1
    assert paths.get_key(obj, "NAME") in (1, 2)


def test_missing_is_a_falsy_singleton() -> None:
    assert not MISSING
    assert repr(MISSING) == "MISSING"
    assert type(MISSING)() is MISSING


@pytest.mark.parametrize("bad", ["", "  ", ".a", "a.", "a..b", "a[", "a[x]", "a[-1]", "a]"])
def test_bad_paths_are_rejected(bad: str) -> None:
    with pytest.raises(PathError):
        compile_path(bad)


def test_split_at_last_wildcard() -> None:
    segs = compile_path("a[*].b[*].c")
    assert paths.split_at_last_wildcard(segs) == (("a", "*", "b", "*"), ("c",))
