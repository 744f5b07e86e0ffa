"""The worker's answer on the wire: exact round trips, and nothing damaged ever decodes."""

from __future__ import annotations

import enum
import math
from collections import OrderedDict
from dataclasses import fields, replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import findingwire
from amlguard.scanner.model import Finding, Severity, Status

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        | st.tuples(inner, inner)
    ),
    max_leaves=12,
)

_findings = st.builds(
    Finding,
    rule_id=st.sampled_from(["AMLG-101", "AMLG-201", "X-1"]),
    rule_name=st.text(max_size=12),
    severity=st.sampled_from(list(Severity)),
    status=st.sampled_from(list(Status)),
    resource_id=st.text(max_size=40),
    resource_type=st.text(max_size=20),
    instance=st.text(max_size=40),
    message=st.text(max_size=60),
    expected=_json,
    actual=_json,
    path=st.none() | st.text(max_size=10),
    remediation=st.text(max_size=30),
    offenders=st.lists(_json, max_size=3).map(tuple),
)


def _shape(value: Any) -> Any:
    """A value with every container's and scalar's exact type spelled out."""
    if isinstance(value, dict):
        return (type(value).__name__, [(_shape(k), _shape(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_shape(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__, value)


def _same(a: list[Finding], b: list[Finding]) -> bool:
    names = [f.name for f in fields(Finding)]
    return [_shape([getattr(f, n) for n in names]) for f in a] == [
        _shape([getattr(f, n) for n in names]) for f in b
    ]


@settings(derandomize=True, max_examples=80, deadline=None)
@given(st.lists(_findings, max_size=6))
def test_round_trip_is_exact(findings: list[Finding]) -> None:
    back = findingwire.decode(findingwire.encode(findings))
    assert back == findings
    assert back is not None and _same(back, findings)  # 1 stays 1, True stays True, () stays ()
    assert all(f.severity in Severity and f.status in Status for f in back)


class _Colour(enum.Enum):
    RED = "red"


class _Text(str):
    pass


def test_values_marshal_cannot_carry_go_as_pickle() -> None:
    odd = [
        Finding("AMLG-1", "n", Severity.LOW, Status.FAIL, "/r", "t", "/i", "m", expected=value)
        for value in (_Colour.RED, _Text("x"), OrderedDict(a=1), float("nan"), {1, 2})
    ]
    data = findingwire.encode(odd)
    assert data[4] == 1  # the pickle codec
    back = findingwire.decode(data)
    assert back is not None
    assert [type(f.expected) for f in back] == [type(f.expected) for f in odd]
    assert back[0].expected is _Colour.RED
    plain = findingwire.encode(odd[3:])  # nan and a set: marshal carries them exactly
    assert plain[4] == 0


@settings(derandomize=True, max_examples=100, deadline=None)
@given(st.lists(_findings, min_size=1, max_size=4), st.data())
def test_damaged_message_never_decodes(findings: list[Finding], data: st.DataObject) -> None:
    message = findingwire.encode(findings)
    cut = data.draw(st.integers(0, len(message) - 1), label="cut")
    assert findingwire.decode(message[:cut]) is None
    at = data.draw(st.integers(0, len(message) - 1), label="at")
    flip = data.draw(st.integers(1, 255), label="flip")
    damaged = bytearray(message)
    damaged[at] ^= flip
    assert findingwire.decode(bytes(damaged)) is None
    assert findingwire.decode(message + b"\0") is None


@settings(derandomize=True, max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_never_decodes(blob: bytes) -> None:
    assert findingwire.decode(blob) is None
    assert findingwire.decode(b"AMLP" + blob) is None


def test_an_unknown_comes_back_as_the_same_unknown() -> None:
    """redteam8 item 9: pickle rebuilt an Unknown from its text, wrapping it twice."""
    from amlguard.scanner.unknown import Unknown

    u = Unknown("/subscriptions/s/x/n:id", True, "main.bicep:40", "said")
    f = Finding("R-1", "n", Severity.LOW, Status.FAIL, "/x", "t", "/i", "m", actual=[u])
    f = replace(f, offenders=(u,))
    (back,) = findingwire.decode(findingwire.encode([f])) or []
    got = back.offenders[0]
    assert type(got) is Unknown and str(got) == str(u) == "<unknown: /subscriptions/s/x/n:id>"
    assert (got.key, got.secret, got.where, got.said) == (u.key, True, "main.bicep:40", "said")
    assert back == f and str(back.actual[0]) == str(u)
