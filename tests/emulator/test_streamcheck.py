"""The ingestion route's compiled row check gives the reference check's verdict on any rows."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.emulator import streamcheck
from tests.emulator.ingestion import RESERVED, check_rows, declared_streams
from tests.emulator.streamcheck import StreamCheck, loads

COLUMNS = declared_streams()["Custom-AmlGuardFindings"]
NAMES = [*COLUMNS, "Unknown", "id", "TenantId", "_ResourceId", "Rownumber"]

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["2026-12-07T10:00:00Z", "2026-12-07", "yesterday", "2026-13-01T00:00:00Z"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_rows = st.lists(
    st.dictionaries(st.sampled_from(NAMES), _values, max_size=6), min_size=0, max_size=6
)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.one_of(_rows, st.lists(st.one_of(st.integers(), st.text()), max_size=2), _values))
def test_same_verdict_as_the_reference(rows: Any) -> None:
    check = StreamCheck(COLUMNS, frozenset(RESERVED))
    assert check(rows) == (check_rows(rows, COLUMNS) is None)
    assert check(rows) == (check_rows(rows, COLUMNS) is None)  # plans and datetimes cached


def test_every_row_is_checked_not_only_the_first_of_a_shape() -> None:
    check = StreamCheck(COLUMNS, frozenset(RESERVED))
    good = {"RowNumber": 1, "TimeGenerated": "2026-12-07T10:00:00Z", "RuleId": "AMLG-101"}
    assert check([good] * 50)
    assert not check([good] * 49 + [{**good, "RowNumber": "50"}])
    assert not check([good] * 49 + [{**good, "RuleId": 101}])
    assert not check([good] * 49 + [{**good, "TimeGenerated": "soon"}])
    assert not check([good] * 49 + [{**good, "RowNumber": True}])
    assert not check([good] * 49 + [{**good, "Title": "x"}])
    assert not check([good] * 49 + [{**good, "TimeGenerated": ["2026-12-07"]}])
    assert check([good, {**good, "Actual": [1, {"a": None}], "Expected": "x"}])


@pytest.mark.parametrize("fast", [True, False], ids=["orjson", "json"])
def test_loads_reads_what_json_reads_and_refuses_what_is_not_json(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setattr(streamcheck, "_fast_loads", None)
    elif streamcheck._fast_loads is None:
        pytest.skip("orjson is not installed")
    body = json.dumps([{"Message": "é \u202e", "RowNumber": 2**40, "Actual": [1.5, None]}])
    assert loads(body.encode("utf-8")) == json.loads(body)
    for bad in (b"[{", b"\x1f\x8b\x08", b"[NaN]"):
        try:
            loads(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was read as JSON")


@pytest.mark.parametrize("fast", [True, False], ids=["isal", "gzip"])
def test_gunzip_reads_every_member_and_refuses_what_is_not_gzip(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setattr(streamcheck, "_decompress", gzip.decompress)
    one, two = gzip.compress(b"[1,"), gzip.compress(b"2]")
    assert streamcheck.gunzip(one + two) == b"[1,2]"
    for bad in (one[:-3], one[:12] + b"x" + one[13:], b"[1,2]", b"\x1f\x8b"):
        with pytest.raises(ValueError):
            streamcheck.gunzip(bad)
