"""The strict reader's cheap checks (a colon count, a backslash test) never let through what the
full checks refuse, and never refuse what they accept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import jsonstrict

# Keys and strings that put colons, quotes, backslashes and escapes where the counts look.
_TEXT = st.sampled_from(["a", "b", "A", "x:y", '":', "https://h/p", "\\", "é", "q\\u", ""])
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), _TEXT)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=12,
)


def _with_repeat(doc: dict[str, Any], key: str, spaced: bool) -> str:
    """``doc`` as JSON text with ``key`` written twice in its outermost object."""
    body = json.dumps(doc, separators=(",", ":"))[1:-1]
    sep = " :" if spaced else ":"
    extra = f"{json.dumps(key)}{sep}1"
    return "{" + (body + "," if body else "") + extra + "," + extra + "}"


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _VALUE, max_size=4), st.booleans())
def test_accepts_what_plain_json_reads_without_repeats(doc: dict[str, Any], pretty: bool) -> None:
    """Colons and escaped quotes inside strings do not make a clean document look repeated."""
    text = json.dumps(doc, indent=1 if pretty else None, ensure_ascii=pretty)
    assert jsonstrict.loads(text) == doc


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.dictionaries(_TEXT, _VALUE, max_size=4), _TEXT, st.booleans())
def test_refuses_a_repeated_key_whatever_the_strings_hold(
    doc: dict[str, Any], key: str, spaced: bool
) -> None:
    """A repeated key is refused with or without colons elsewhere, spaced or not."""
    with pytest.raises(jsonstrict.StrictJSONError, match="duplicate key"):
        jsonstrict.loads(_with_repeat(doc, key, spaced))


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ('{"a":"\\ud800"}', True),
        ('{"a":"x","b":"\\uDC00"}', True),
        ('{"a":"\\ud83d\\ude00"}', False),
        ('{"a":"no escape: \\u00e9"}', False),
        ('{"a":"ud800 without a backslash"}', False),
    ],
)
def test_lone_surrogates_still_found(text: str, refused: bool) -> None:
    """The backslash pre-test skips the surrogate scan only where no escape can be."""
    if refused:
        with pytest.raises(jsonstrict.StrictJSONError, match="surrogate"):
            jsonstrict.loads(text)
    else:
        assert jsonstrict.loads(text) == json.loads(text)
