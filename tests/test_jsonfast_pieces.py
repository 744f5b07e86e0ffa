"""The re-dump made a piece at a time is byte for byte the one-piece re-dump, and the fast path
built on it answers as the strict reader does where the pieces are small (every array long)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import jsonfast, jsonstrict
from tests.test_jsonfast import (
    _CLEAN,
    _VALID_KEY,
    _VALID_NUMBER,
    _VALID_STRING,
    _VALID_WS,
    _check,
    _json_text,
    _same,
)

orjson = pytest.importorskip("orjson")


def _check_bytes(text: str) -> None:
    """From the text's UTF-8 bytes (as snapshots are read), the fast path answers only with
    the strict reader's document."""
    doc = jsonfast.loads(text.encode())
    if doc is not jsonfast.DOUBT:
        assert _same(doc, jsonstrict._loads_checked(text)), text[:200]


def _joined(doc: Any) -> bytes:
    return b"".join(bytes(buf[start:end]) for buf, start, end in jsonfast._pieces(doc))


@pytest.fixture(params=[1, 2, 3])
def small_slices(request: pytest.FixtureRequest) -> Iterator[int]:
    """Arrays of two items or more are re-dumped a slice at a time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonfast, "_SLICE", request.param)
        yield request.param


_DOC = st.recursive(
    _CLEAN | st.integers(min_value=-(2**63), max_value=2**64 - 1),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=25,
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(_DOC, st.integers(1, 3))
def test_pieces_are_the_whole_re_dump(doc: Any, size: int) -> None:
    """Joined in order, the pieces are ``orjson.dumps`` of the document, at every slice size."""
    try:
        whole = orjson.dumps(doc)
    except TypeError:  # an integer beyond 64 bits: orjson never reads one as an int
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonfast, "_SLICE", size)
        assert _joined(doc) == whole
    assert _joined(doc) == whole


def _nested_text(max_leaves: int) -> st.SearchStrategy[str]:
    return _json_text(
        max_leaves, _VALID_WS, _VALID_KEY, st.one_of(_VALID_NUMBER, _VALID_STRING), st.just(False)
    )


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.lists(_nested_text(6), min_size=1, max_size=6), st.sampled_from(["", " ", "\n  "]))
def test_snapshot_shaped_texts_read_as_the_strict_reader_reads_them(
    rows: list[str], ws: str
) -> None:
    """``{"data": [rows]}`` texts whose rows repeat keys hidden in escapes (``"a"`` and
    ``"\\u0061"``, ``"a:"`` and ``"a\\u003a"``, ``\\"`` and ``\\u0022``...), with every slice
    size: the row array is re-dumped in slices, its rows compared in place."""
    for size in (1, 2, 3):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(jsonfast, "_SLICE", size)
            for text in (
                '{"data":[' + ",".join(rows) + "]}",
                "{" + ws + '"h" :{"a":1},' + ws + '"data":[' + ",".join(rows) + "]}",
                '{"d":{"rows":[' + ",".join(rows) + '],"x":"::"}}',
                "[" + ws + ",".join(rows) + "]",
            ):
                _check(text)
                _check_bytes(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"data":[{"a":1,"\\u0061":2},{"b":1}]}',
        '{"data":[{"b":1},{"a:":1,"a\\u003a":2}]}',
        '{"data":[{"b":1},{"q\\"":1,"q\\u0022":2}]}',
        '{"data":[{"k":"\\":x"},{"k":1,"k":2}]}',
        '{"data":[{"x":"a\\":b","y":"::"},{"z":1}],"data":[]}',
        '{"h":{"a":1,"a":1},"data":[1,2,3]}',
        '[[1,2],[3],{"a":[],"a":[]}]',
        '{"data":[{"s":"\\\\":1}]}',
    ],
)
def test_repeats_in_sliced_arrays_are_refused_or_answered_alike(
    text: str, small_slices: int
) -> None:
    """A key repeated anywhere (in a slice, in a member of the outer object) is the strict
    reader's: refused with its message and position, or the strict document."""
    _check(text)
    _check_bytes(text)


@pytest.mark.parametrize("depth", [250, 251, 252, 253, 254, 255, 256, 257, 258])
@pytest.mark.parametrize("shape", ["data", "table", "array"])
def test_nesting_at_the_limit_under_sliced_arrays(
    depth: int, shape: str, small_slices: int
) -> None:
    """Pieces two levels down each nest up to 254 levels: the whole up to 256, which the stack
    room still covers; deeper is a doubt, and the answer never changes."""
    inner = "[" * depth + "]" * depth
    text = {
        "data": '{"data":[1,' + inner + "]}",
        "table": '{"d":{"rows":[1,' + inner + "]}}",
        "array": "[1," + inner + "]",
    }[shape]
    _check(text)
    doc = jsonfast.loads(text.encode())
    if doc is not jsonfast.DOUBT:
        assert doc == json.loads(text)


def test_big_integers_and_floats_in_slices_are_doubted(small_slices: int) -> None:
    """``e+`` in a later slice of a text that is not its own re-dump still sends it to the
    strict reader (an integer beyond 64 bits stays exact)."""
    text = '{"data": [1, 2, 3, 18446744073709551616]}'
    assert jsonfast.loads(text.encode()) is jsonfast.DOUBT
    doc = jsonstrict.loads(text)
    assert doc["data"][3] == 2**64 and type(doc["data"][3]) is int


def test_an_estate_sized_array_is_read_in_slices() -> None:
    """Many rows: the compact text is proven piece by piece, the indented one by its counts."""
    rows = [{"id": f"/s/{i}", "p": {"t": "12:30", "n": i, "f": i / 3}} for i in range(1300)]
    doc = {"amlguard_snapshot": {"gaps": []}, "data": rows, "count": 1300}
    compact = json.dumps(doc, separators=(",", ":")).encode()
    assert len(list(jsonfast._pieces(doc))) > 6
    assert _same(jsonfast.loads(compact), doc)
    assert _same(jsonfast.loads(json.dumps(doc, indent=2).encode()), doc)
    repeated = compact.replace(b'"n":1299', b'"n":1,"n":1299')
    assert jsonfast.loads(repeated) is jsonfast.DOUBT
    with pytest.raises(jsonstrict.StrictJSONError, match="duplicate key 'n'"):
        jsonstrict.loads(repeated.decode())
