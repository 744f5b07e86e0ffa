"""The orjson fast path of the strict reader accepts and refuses exactly what the strict reader
alone does, with the same document or the same error (message, line and column)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import jsonfast, jsonstrict

orjson = pytest.importorskip("orjson")


def _same(a: Any, b: Any) -> bool:
    """Equal documents, types and key order included (1 != 1.0 != True; -0.0 != 0.0)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if list(x) != list(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif repr(x) != repr(y):
            return False
    return True


def _outcome(load: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", load(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, StrictJSONError
        return type(exc).__name__, str(exc)


def _check(text: str) -> None:
    """The reader with its fast path answers as the reader without it does."""
    fast = _outcome(jsonstrict.loads, text)
    slow = _outcome(jsonstrict._loads_checked, text)
    assert fast[0] == slow[0], (text[:200], fast, slow)
    assert _same(fast[1], slow[1]) if fast[0] == "ok" else fast[1] == slow[1]
    doc = jsonfast.loads(text)
    if doc is not jsonfast.DOUBT:  # what the fast path answers itself is the reference's too
        assert slow[0] == "ok" and _same(doc, slow[1])


# Hostile text, written token by token: keys that differ only by escapes, quotes and colons
# hidden in escapes, `\\":` endings, spaced colons, numbers at every limit, bad whitespace.
_WS = st.sampled_from(["", "", " ", "\n", " \t ", "\r\n  ", "\f", "\u00a0"])
_PIECE = st.sampled_from(
    [
        "a", "b", "A", ":", "x:y", "\\\"", "\\u0022", "\\u0022:", "\\\":", "\\\\", "\\\\\":",
        "\\u003a", "\\u003A", "\\u003a\\u003a", "\\u0061", "\\u0041", "\\/", "\\n", "\\u0000",
        "é", "\\u00e9", "\\ud800", "\\udc00", "\\uD83D\\uDE00", "\\ud83d\\ude00", "\\ud800x",
        "e+", "1e+16", "\u2028", "\x01", "\x7f", "{", "}", "[", "]", ",", "https://h:443/p",
    ]
)  # fmt: skip
_STRING = st.lists(_PIECE, max_size=4).map(lambda parts: '"' + "".join(parts) + '"')
# A few key spellings, several of them the same key ("a", "\u0061") or the same text.
_KEY = st.one_of(
    st.sampled_from(['"a"', '"\\u0061"', '"b"', '"\\u0062"', '"a:"', '"a\\u003a"', '""']),
    _STRING,
)
_NUMBER = st.sampled_from(
    [
        "0", "-0", "1", "-1", "1.5", "-0.0", "0.0", "1e5", "1E+5", "1e-400", "1e400", "-1e400",
        "1.7976931348623157e308", "1.8e308", "4.9e-324", "18446744073709551615",
        "18446744073709551616", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "12345678901234567890123",
        "1e16", "9999999999999999", "0.1000000000000000055511151231257827",
        "3.141592653589793238462643383279", "NaN", "-NaN", "Infinity", "-Infinity", "01", "1.",
        ".5", "+1", "-", "1e", "0x10", "2" * 4300, "3" * 4301, "true", "false", "null", "nul",
    ]
)  # fmt: skip


# Valid tokens only, few keys: documents that parse, many with a key written twice.
_VALID_WS = st.sampled_from(["", "", " ", "\n  "])
_VALID_PIECE = st.sampled_from(
    # a `\\` piece before the closing quote writes the `\\":` ending of a key
    ["a", ":", '\\"', "\\u0022:", '\\":', "\\\\", '\\\\\\":', "\\u003a", "\\u003A", "\\u0061", "é", "e+"]
)  # fmt: skip
_VALID_KEY = st.one_of(
    st.sampled_from(['"a"', '"\\u0061"', '"a:"', '"a\\u003a"', '"a\\u003A"', '"\\u0061\\u003a"']),
    st.lists(_VALID_PIECE, max_size=2).map(lambda parts: '"' + "".join(parts) + '"'),
)
_VALID_NUMBER = st.sampled_from(["0", "-0", "1.5", "-0.0", "1e5", "18446744073709551616", "1e16"])


_SCALAR = st.one_of(_NUMBER, _STRING)
_TRAILING = st.booleans()


def _json_text(
    max_leaves: int,
    ws: st.SearchStrategy[str] = _WS,
    key: st.SearchStrategy[str] = _KEY,
    scalar: st.SearchStrategy[str] = _SCALAR,
    trailing: st.SearchStrategy[bool] = _TRAILING,
) -> st.SearchStrategy[str]:
    def obj(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        colon = st.sampled_from([":", ":", ": ", " :"])
        member = st.tuples(ws, key, ws, colon, ws, inner)
        return st.tuples(st.lists(member, max_size=4), ws, trailing).map(
            lambda t: (
                "{"
                + ",".join("".join(m) for m in t[0])
                + ("," if t[2] and t[0] else "")
                + t[1]
                + "}"
            )
        )

    def arr(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.tuples(st.lists(st.tuples(ws, inner, ws), max_size=4)).map(
            lambda t: "[" + ",".join("".join(m) for m in t[0]) + "]"
        )

    return st.recursive(
        scalar,
        lambda inner: st.one_of(obj(inner), arr(inner)),
        max_leaves=max_leaves,
    )


@settings(derandomize=True, max_examples=700, deadline=None)
@given(_WS, _json_text(12), _WS, st.sampled_from(["", "", "", "x", " 1", "\ufeff", "\n{}"]))
def test_hostile_texts_read_as_the_strict_reader_reads_them(
    before: str, body: str, after: str, extra: str
) -> None:
    """Whatever the text, the fast path never changes the answer (document or error)."""
    _check(before + body + after + extra)


_VALID_STRING = st.lists(_VALID_PIECE, max_size=3).map(lambda parts: '"' + "".join(parts) + '"')


@settings(derandomize=True, max_examples=1000, deadline=None)
@given(
    _json_text(12, _VALID_WS, _VALID_KEY, st.one_of(_VALID_NUMBER, _VALID_STRING), st.just(False))
)
def test_repeats_read_as_the_strict_reader_reads_them(text: str) -> None:
    """Valid texts with few distinct keys, spelled many ways: repeats hide in escapes."""
    _check(text)


# Clean documents (mostly accepted), so that the fast path's own answers are compared too.
_CLEAN_TEXT = st.text(st.sampled_from('ab:"\\é\u2028\x00/ '), max_size=6)
_CLEAN = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        _CLEAN_TEXT,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_CLEAN_TEXT, inner, max_size=4)
    ),
    max_leaves=16,
)


@settings(derandomize=True, max_examples=500, deadline=None)
@given(_CLEAN, st.sampled_from([None, 1, 2, "compact", "orjson"]), st.booleans(), st.integers(0, 3))
def test_clean_documents_read_the_same_with_repeats_added(
    doc: Any, indent: int | str | None, ascii_only: bool, repeats: int
) -> None:
    """Documents ``json`` (or orjson) wrote, as they are and with a key of the outermost object
    repeated; compact ones are often their own re-dump, the cheapest proof."""
    if indent == "orjson":
        try:
            text = orjson.dumps(doc).decode()
        except TypeError:  # an integer beyond 64 bits: orjson does not write it
            text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    elif indent == "compact":
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=ascii_only)
    else:
        text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    _check(text)
    if isinstance(doc, dict) and doc and repeats:
        key = json.dumps(next(iter(doc)), ensure_ascii=not ascii_only)
        _check(text[:-1].rstrip() + f", {key} : 1" * repeats + "}")
        _check("{" + f"{key}:null," * repeats + text[1:])


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_read_and_big_ones_doubted(value: float) -> None:
    """orjson reads every double as float() does; a float of 1e16 or more is re-dumped with
    ``e+``, the sign that sends 64-bit-overflowing integers (read as floats) to the strict path."""
    for text in (repr(value), json.dumps([value, -value])):
        _check(text)
    if abs(value) >= 1e16:
        assert b"e+" in orjson.dumps(value)


@pytest.mark.parametrize("digits", [19, 20, 21, 40, 4300])
@pytest.mark.parametrize("sign", ["", "-"])
def test_integers_beyond_64_bits_are_exact(digits: int, sign: str) -> None:
    """An integer orjson would read as a float is read exactly, by the strict path."""
    text = f'{{"n": [{sign}{"9" * digits}, 1]}}'
    doc = jsonstrict.loads(text)
    assert doc == {"n": [int(sign + "9" * digits), 1]} and type(doc["n"][0]) is int


@pytest.mark.parametrize("depth", [1, 200, 201, 253, 254, 255, 256, 600, 1023, 1024, 1025, 3000])
@pytest.mark.parametrize("kind", ["[]", "{}"])
def test_nesting_limits_unchanged(depth: int, kind: str) -> None:
    """Deep documents: the fast path takes what it can prove, the answer never changes."""
    if kind == "[]":
        text = "[" * depth + "]" * depth
    else:
        text = '{"k":' * (depth - 1) + "{}" + "}" * (depth - 1)
    _check(text)


def test_no_stack_room_is_a_doubt() -> None:
    """Deep in the caller's stack the fast path leaves nesting to the strict reader."""

    def deep(n: int) -> Any:
        return deep(n - 1) if n else jsonfast.loads("[[1]]")

    import sys

    room = sys.getrecursionlimit() - 250
    assert jsonfast.loads("[[1]]") == [[1]]
    assert deep(room) is jsonfast.DOUBT


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"\\u0061":2}',
        '{"a\\u003a":1,"a:":2}',
        '{"a\\"":1,"a\\u0022":2}',
        '{"x":"\\u003a\\u003a","a":1,"a":1}',
        '{"x\\\\":1,"x\\u005c":2}',
        '{"a" :1,"a"\n:\t2}',
        '{"k":"a\\":b","k":"c"}',
        '{"a":{"b":1,"b":1},"c":"::"}',
    ],
)
def test_repeats_hidden_in_escapes_are_refused(text: str) -> None:
    """Keys equal once unescaped are one key twice: refused at the second, as before."""
    with pytest.raises(jsonstrict.StrictJSONError, match="duplicate key"):
        jsonstrict.loads(text)
    _check(text)


def test_surrogates_and_controls_in_text_itself() -> None:
    """Characters no UTF-8 can hold, raw in the text, leave the fast path."""
    for text in ['"\ud800"', '["\udfff", 1]', '"\x00"', '"a\tb"']:
        assert jsonfast.loads(text) is jsonfast.DOUBT
        _check(text)


def test_the_fast_path_is_taken_on_ordinary_documents() -> None:
    """The point of it: a clean document is answered without the strict path."""
    text = json.dumps({"data": [{"id": "/a:b", "p": {"t": "12:30", "f": 1.5}}] * 3}, indent=2)
    assert _same(jsonfast.loads(text), json.loads(text))
    # a float of 1e16 or more is a doubt, read by the strict path (finite: accepted)
    assert jsonfast.loads("[1.7976931348623157e308]") is jsonfast.DOUBT
    assert math.isfinite(jsonstrict.loads("[1.7976931348623157e308]")[0])


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"b":[1.5,"x:y"]}',
        '{"a":1,"b":[1.5,"x:y"]}\n',
        '{"a":1,"a":1}',  # not its own re-dump: the counts decide (refused)
        "[18446744073709551616]",  # re-dumped as a float: not equal, then doubted
        "[1e+16]",  # equal to its re-dump: a float both ways
        '{"t":"\\u00e9"}',
        '{"t":"é"}',
        '["\\u003a"]',
    ],
)
def test_texts_equal_to_their_re_dump(text: str) -> None:
    """The cheapest proof (the text is its own compact re-dump) gives the strict answer."""
    _check(text)


def _bytes_outcome(raw: bytes) -> tuple[str, Any]:
    """What the strict reader makes of a file's bytes: decoded as a snapshot's are, then read."""
    from amlguard import inputfile
    from amlguard.errors import InputError

    try:
        return _outcome(jsonstrict._loads_checked, inputfile.decode(raw, "f"))
    except InputError as exc:
        return "InputError", str(exc)


_ENCODING = st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le"])
_JUNK = st.sampled_from(
    [b"", b"\xff", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82", b"\x00", b"\xef\xbb\xbf"]
)


@settings(derandomize=True, max_examples=500, deadline=None)
@given(
    st.one_of(
        _json_text(10),
        _json_text(
            10, _VALID_WS, _VALID_KEY, st.one_of(_VALID_NUMBER, _VALID_STRING), st.just(False)
        ),
    ),
    _ENCODING,
    _JUNK,
    st.integers(0, 10**6),
)
def test_bytes_read_as_their_decoded_text_is(
    text: str, encoding: str, junk: bytes, at: int
) -> None:
    """From a file's bytes (any encoding, bytes that are not UTF-8 spliced in), a document the
    fast path answers is the one the decoded text gives the strict reader."""
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate in the text: its bytes are the junk then
        raw = text.encode(encoding, "surrogatepass")
    at %= len(raw) + 1
    raw = raw[:at] + junk + raw[at:]
    doc = jsonfast.loads(raw)
    if doc is not jsonfast.DOUBT:
        kind, reference = _bytes_outcome(raw)
        assert kind == "ok" and _same(doc, reference), (raw[:200], kind, reference)
