"""The strict reader's colon bound: colons inside strings (URLs, timestamps, ``a: b``) are
discounted only where no key's colon can be, so a repeated key is refused whatever the strings
hold, and a clean document is never refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import jsonstrict

# Strings whose colons follow letters, digits, quotes, spaces, escapes and nothing at all.
_TEXT = st.sampled_from(
    [
        "a",
        "k",
        "https://h.example/p?q=1:2",
        "2026-12-07T10:20:30Z",
        "a :b",
        "x: y",
        ":",
        "::",
        '":',
        '" :',
        "\\:",
        "tab\t:",
        "line\n:",
        "",
    ]
)
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), _TEXT)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=12,
)
_LAYOUT = st.sampled_from([(",", ":"), (", ", ": "), (",", " : "), (",\n", ":\t")])


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _VALUE, max_size=4), _LAYOUT)
def test_clean_documents_with_colons_in_strings_are_read(
    doc: dict[str, Any], layout: tuple[str, str]
) -> None:
    text = json.dumps(doc, separators=layout)
    assert jsonstrict.loads(text) == doc


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _VALUE, max_size=4), _TEXT, _LAYOUT, st.integers(0, 3))
def test_a_repeated_key_is_refused_whatever_colons_the_strings_hold(
    doc: dict[str, Any], key: str, layout: tuple[str, str], depth: int
) -> None:
    inner = "{" + f"{json.dumps(key)}{layout[1]}1{layout[0]}{json.dumps(key)}{layout[1]}2" + "}"
    for _ in range(depth):
        inner = f"[{inner}]"
    body = json.dumps(doc, separators=layout)[1:-1]
    text = "{" + (body + layout[0] if body else "") + f'"zz-repeat"{layout[1]}{inner}' + "}"
    with pytest.raises(jsonstrict.StrictJSONError, match="duplicate key"):
        jsonstrict.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2,"u":"https://x"}',  # the URL's colon offsets the repeat in a plain count
        '{"t":"10:20","t":"10:21"}',
        '{"a" :1,"a":"b:c"}',
        '{"a":"x","a\\":":1,"a":2}',
    ],
)
def test_colons_in_strings_never_hide_a_repeat(text: str) -> None:
    with pytest.raises(jsonstrict.StrictJSONError, match="duplicate key"):
        jsonstrict.loads(text)


def test_the_bound_counts_only_colons_a_key_can_own() -> None:
    text = '{"u":"https://h:1/p","t":"2026-01-01T10:20:30Z","s":"a :b","k" :1}'
    quoted = text.count('":')
    spaced = len(jsonstrict._SPACED_COLON.findall(text))
    assert (quoted, spaced) == (3, 2)  # '"u":', '"t":', '"s":'; 'a :' and '"k" :'
    assert jsonstrict._no_repeated_key(text, 4) is False  # 5 possible keys: parsed again
    assert jsonstrict._no_repeated_key(text.replace("a :b", "a:b"), 4) is True
    assert jsonstrict.loads(text) == json.loads(text)
