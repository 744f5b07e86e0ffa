"""The ingestion route's fast path never accepts a body the reference path refuses.

The reference: :func:`streamcheck.loads`, then :func:`ingestion.check_rows` (and the compiled
:class:`StreamCheck`, tested equal to it). Where the fast path is not certain it says None and
the reference decides, so "fast accepts => reference accepts, same row count" is the whole
contract; and on the bodies the exporter sends it must be certain (else it saves nothing).
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.emulator import streamfast
from tests.emulator.ingestion import RESERVED, Ingestion, check_rows, declared_streams
from tests.emulator.streamcheck import StreamCheck, loads
from tests.emulator.streamfast import FastCheck

STREAM = "Custom-AmlGuardFindings"
COLUMNS = declared_streams()[STREAM]
NAMES = [*COLUMNS, "Unknown", "id", "TenantId", "_ResourceId", "Rownumber"]

pytestmark = pytest.mark.skipif(streamfast.msgspec is None, reason="msgspec is not installed")


def _reference(raw: bytes) -> int | None:
    """The reference verdict: the row count when the body fits the stream, else None."""
    try:
        rows = loads(raw)
    except ValueError:
        return None
    if check_rows(rows, COLUMNS) is not None:
        return None
    assert StreamCheck(COLUMNS, frozenset(RESERVED))(rows)
    return len(rows)


def _same(raw: bytes, fast: FastCheck | None = None) -> int | None:
    fast = fast or FastCheck(COLUMNS, frozenset(RESERVED))
    got = fast.rows(raw)
    if got is not None:
        assert got == _reference(raw), raw[:200]
    return got


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # unbounded: orjson reads wide integers as floats
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["2026-12-07T10:00:00Z", "2026-12-07", "yesterday", "2026-13-01T00:00:00Z"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_rows = st.lists(
    st.dictionaries(st.sampled_from(NAMES), _values, max_size=6), min_size=0, max_size=6
)


@settings(derandomize=True, max_examples=500, deadline=None)
@given(st.one_of(_rows, st.lists(st.one_of(st.integers(), st.text()), max_size=2), _values))
def test_never_accepts_what_the_reference_refuses(rows: Any) -> None:
    raw = json.dumps(rows).encode("utf-8")
    fast = FastCheck(COLUMNS, frozenset(RESERVED))
    _same(raw, fast)
    _same(raw, fast)  # datetimes remembered across bodies


_fragments = st.sampled_from(
    [
        b'[{"RowNumber":1}]',
        b"[",
        b"]",
        b"{",
        b"}",
        b",",
        b'"RowNumber":',
        b'"Message":',
        b'"TimeGenerated":',
        b'"Actual":',
        b'"id":',
        b"1",
        b"18446744073709551616",
        b"-9223372036854775809",
        b"1e400",
        b"NaN",
        b"true",
        b"null",
        b'"2026-12-07T10:00:00Z"',
        b'"\\ud800"',
        b'"\\u0000"',
        b'"\xff"',
        b'"\x01"',
        b"\xef\xbb\xbf",
        b" ",
    ]
)


@settings(derandomize=True, max_examples=500, deadline=None)
@given(st.lists(_fragments, max_size=12))
def test_hostile_bytes_are_never_accepted_where_the_reference_refuses(parts: list[bytes]) -> None:
    _same(b"".join(parts))


@pytest.mark.parametrize(
    "raw",
    [
        b'[{"RowNumber":18446744073709551616}]',  # orjson: a float, not an int
        b'[{"RowNumber":-9223372036854775809}]',
        b'[{"RowNumber":1.0}]',
        b'[{"RowNumber":true}]',
        b'[{"ScanComplete":1}]',
        b'[{"Message":"\\ud800"}]',
        b'[{"Message":"x","Message":5}]',
        b'[{"TimeGenerated":"soon"}]',
        b'[{"TimeGenerated":5}]',
        b'[{"TimeGenerated":["2026-12-07"]}]',
        b'[{"Title":"x"}]',
        b'[{"_ResourceId":"x"}]',
        b'[{"Unknown":1}]',
        b'[{"Actual":' + b"[" * 1100 + b"]" * 1100 + b"}]",
        b'{"RowNumber":1}',
        b"[1]",
        b"[[]]",
        b"[] x",
        b"",
    ],
)
def test_awkward_bodies_the_reference_refuses_are_refused(raw: bytes) -> None:
    assert _reference(raw) is None
    assert _same(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        b'[{"RowNumber":9223372036854775807,"Message":"x","Message":"y"}]',
        b'[{"Actual":' + b"[" * 600 + b"]" * 600 + b"}]",
        b'[{"Actual":18446744073709551616,"Expected":1e300}]',
        b'[{"Message":5,"Message":"x"}]',  # the last of a repeated key counts
    ],
)
def test_awkward_bodies_the_reference_takes(raw: bytes) -> None:
    assert _reference(raw) == 1
    assert _same(raw) in (1, None)  # taken, or left to the reference


@pytest.mark.parametrize("depth", [1021, 1022, 1023, 1100, 5000])
def test_deep_dynamic_values_are_left_to_the_reference_whatever_the_recursion_limit(
    depth: int,
) -> None:
    import sys

    raw = b'[{"RowNumber":1},{"Actual":' + b"[" * depth + b"]" * depth + b"}]"
    nested = b'[{"Expected":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}]"
    limit = sys.getrecursionlimit()
    try:
        for recursion in (limit, 20_000):
            sys.setrecursionlimit(recursion)
            for body in (raw, nested):
                assert _same(body) is None  # msgspec may take it; orjson's limit is 1,024
    finally:
        sys.setrecursionlimit(limit)
    shallow = b'[{"Actual":' + b"[" * 900 + b"]" * 900 + b',"Expected":[[1],{"a":[2]}]}]'
    assert _reference(shallow) == 1 and _same(shallow) == 1


def test_the_exporters_rows_take_the_fast_path() -> None:
    good = {"RowNumber": 1, "TimeGenerated": "2026-12-07T10:00:00Z", "RuleId": "AMLG-101"}
    rows = [good, {**good, "Actual": [1, {"a": None}], "Expected": "x", "ScanComplete": False}]
    assert _same(json.dumps(rows).encode()) == 2
    assert _same(b"[]") == 0
    for bad in ({**good, "RowNumber": "2"}, {**good, "TimeGenerated": "soon"}, {"Type": "x"}):
        assert _same(json.dumps([good] * 40 + [bad]).encode()) is None  # the last row too


def test_accepted_rows_are_the_bodies_as_the_reference_reads_them() -> None:
    state = Ingestion(declared_streams())
    one = [{"RowNumber": 1, "Message": "é"}, {"RowNumber": 2, "Actual": [1.5, None]}]
    two = [{"RowNumber": 3, "Expected": 2**70}]
    state.keep(gzip.compress(json.dumps(one).encode()), True)
    assert state.accepted == one
    state.keep(json.dumps(two).encode(), False)
    assert state.accepted == [*one, {"RowNumber": 3, "Expected": float(2**70)}]
    assert state.accepted is state.accepted  # each body read once


def test_without_msgspec_every_body_takes_the_reference_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(streamfast, "msgspec", None)
    assert FastCheck(COLUMNS, frozenset(RESERVED)).rows(b"[]") is None
