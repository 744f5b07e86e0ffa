"""The JSON head's instance entries: the template for plain ones, the generic dump, re-indented,
for any other (a hub's, which lists its projects), byte-identical to one indented dump."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.reports.json_head import _STATUSES
from amlguard.reports.json_head import head_text as _head_text

HOSTILE = st.sampled_from(
    ["", "a\nb", 'q"uote', "back\\slash", "\u2028", "\x00\x1f\x7f", "é漢😀", "\ud800", "  \n  "]
)
TEXT = st.one_of(st.text(max_size=12), HOSTILE)
LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
VALUE = st.recursive(
    LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=8,
)


def _counts(n: int = 0) -> dict[str, int]:
    return {s: n + i for i, s in enumerate(_STATUSES)}


PLAIN = st.builds(
    lambda i, n, c: {"id": i, "name": n, "counts": _counts(c)},
    TEXT,
    TEXT,
    st.integers(0, 10**6),
)
HUB = st.builds(
    lambda i, n, projects, c: {"id": i, "name": n, "projects": projects, "counts": _counts(c)},
    TEXT,
    TEXT,
    st.lists(
        st.fixed_dictionaries({"id": TEXT, "name": TEXT, "extra": VALUE}), min_size=0, max_size=3
    ),
    st.integers(0, 99),
)
ODD = st.one_of(
    VALUE,
    st.builds(lambda i: {"id": i, "name": "n", "counts": _counts()}, VALUE),
    st.builds(lambda: {"name": "n", "id": "i", "counts": _counts()}),
    st.builds(lambda: {"id": "i", "name": "n", "counts": {**_counts(), "extra": 1}}),
    st.builds(lambda: {"id": "i", "name": "n", "counts": dict(_counts(), fail=True)}),
    st.builds(lambda: {"id": "i", "name": "n", "counts": dict(_counts(), fail=1.5)}),
)


def _head(entries: list[Any]) -> dict[str, Any]:
    return {
        "schema_version": "2.0",
        "source": {"kind": "snapshot", "description": "d\ne", "gaps": []},
        "warnings": ["w"],
        "instances": entries,
    }


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(st.one_of(PLAIN, HUB, ODD), max_size=6))
def test_any_instance_entries_render_as_one_indented_dump(entries: list[Any]) -> None:
    head = _head(entries)
    assert _head_text(head) == json.dumps(head, indent=2, default=str)


def test_a_hub_among_plain_entries_is_written_alone_and_indented() -> None:
    hub = {
        "id": "/h",
        "name": "hub",
        "projects": [{"id": "/p\n1", "name": "p", "counts": _counts(2)}],
        "counts": _counts(1),
    }
    head = _head([{"id": "/a", "name": "a", "counts": _counts()}, hub])
    text = _head_text(head)
    assert text == json.dumps(head, indent=2, default=str)
    assert '\n      "projects": [\n        {\n          "id": "/p\\n1"' in text


def test_objects_json_cannot_write_take_default_str() -> None:
    head = _head([{"id": "/a", "name": "a", "projects": [object], "counts": _counts()}])
    assert _head_text(head) == json.dumps(head, indent=2, default=str)
    assert "<class 'object'>" in _head_text(head)
