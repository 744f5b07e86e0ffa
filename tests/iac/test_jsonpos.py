"""Positions of JSON properties and items: every key's offset is where the key is written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.errors import InputError
from amlguard.iac.jsonpos import parse_json

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_json, st.sampled_from([None, 0, 2]), st.booleans())
def test_every_key_offset_is_its_key(value: Any, indent: int | None, ascii_only: bool) -> None:
    text = json.dumps({"root": value}, indent=indent, ensure_ascii=ascii_only)
    doc = parse_json(text, "x.json")
    for path, sub in _paths({"root": value}):
        if not path:
            continue
        offset = doc.offsets[path]
        if isinstance(path[-1], str):
            decoder = json.JSONDecoder()
            key, _ = decoder.raw_decode(text, offset)
            assert key == path[-1]
        elif isinstance(sub, (dict, list, str)):
            got, _ = json.JSONDecoder().raw_decode(text, offset)
            assert got == sub


def test_lines_and_columns() -> None:
    doc = parse_json('{\n  "a": {\n    "b": [1, {"c": 2}]\n  }\n}', "f.json")
    assert str(doc.location(("a", "b"))) == "f.json:3:5"
    assert str(doc.location(("a", "b", 1, "c"))) == "f.json:3:15"
    assert str(doc.location(("a", "missing", "deeper"))) == "f.json:2:3"


def test_invalid_json_names_the_position() -> None:
    with pytest.raises(InputError, match=r"^f.json:2:8: invalid JSON"):
        parse_json('{"a": 1,\n  "b": }', "f.json")
