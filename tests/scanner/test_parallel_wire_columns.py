"""The column codec of the worker's answer: hostile text, shared values and the frozen
findings it builds slot by slot are exactly what the worker held."""

from __future__ import annotations

import dataclasses
import marshal
import zlib

import pytest

from amlguard.scanner import findingwire
from amlguard.scanner.model import Finding, Severity, Status

HOSTILE = ["\ud800", "\udfff\ud800", "\x00", "a\nb\r\n", '"\\', "é漢😀", "\u2028", "", " " * 3]


def _finding(i: int, text: str, **more: object) -> Finding:
    return Finding(
        f"AMLG-{i % 3}",
        text,
        Severity(i % 5),
        list(Status)[i % len(Status)],
        "/subscriptions/s/" + text,
        text,
        "/i/" + text,
        text,
        **more,  # type: ignore[arg-type]
    )


def test_hostile_text_round_trips_exactly() -> None:
    found = [
        _finding(i, text, expected=[text, {text: text}], path=text, remediation=text)
        for i, text in enumerate(HOSTILE)
    ]
    data = findingwire.encode(found)
    assert data[4] == 0  # marshal's columns, not pickle
    back = findingwire.decode(data)
    assert back == found
    assert back is not None
    assert [f.message for f in back] == HOSTILE
    assert [type(f.severity) for f in back] == [Severity] * len(HOSTILE)
    assert all(f.status is g.status for f, g in zip(back, found, strict=True))


def test_built_findings_are_the_frozen_findings_init_builds() -> None:
    offenders = ("o", 1)
    shared = ["same", "list"]
    found = [
        _finding(1, "x", expected=shared, offenders=offenders, suppression={"reason": "r"}),
        _finding(2, "y", expected=shared, baseline_state="known", fixed_by="A1"),
    ]
    back = findingwire.decode(findingwire.encode(found))
    assert back is not None
    for f, g in zip(back, found, strict=True):
        assert type(f) is Finding
        assert f == g and hash(f.key) == hash(g.key)
        assert repr(f) == repr(g)
        assert dataclasses.astuple(f) == dataclasses.astuple(g)
        with pytest.raises(dataclasses.FrozenInstanceError):
            f.message = "changed"  # type: ignore[misc]
    assert back[0].expected is back[1].expected  # one object in the worker, one here


def test_columns_of_other_shapes_never_decode() -> None:
    good = findingwire.encode([_finding(1, "x"), _finding(2, "y")])
    columns = marshal.loads(good[findingwire._HEADER.size :])
    for bad in (
        columns[:-1],  # a field missing
        [*columns[:-1], columns[-1][:1]],  # a short column
        [columns[0], *([[]] * 15)],
        [*columns[:2], (9, 9), *columns[3:]],  # no such severity
        [*columns[:3], (99, 0), *columns[4:]],  # no such status
        [*columns[:3], [1, 0], *columns[4:]],  # a list where a column is a tuple
        tuple(columns),
        {"columns": 1},
    ):
        body = marshal.dumps(bad)
        header = findingwire._HEADER.pack(b"AMLP", 0, 2, len(body), zlib.crc32(body))
        assert findingwire.decode(header + body) is None


class Loud(str):
    """A status that is text, not a Status: marshal must not carry it (it would lose the type)."""


def test_a_subclassed_enum_value_goes_as_pickle() -> None:
    odd = [dataclasses.replace(_finding(1, "x"), status=Loud("fail"))]  # type: ignore[arg-type]
    data = findingwire.encode(odd)
    assert data[4] == 1
    back = findingwire.decode(data)
    assert back is not None and type(back[0].status) is Loud
