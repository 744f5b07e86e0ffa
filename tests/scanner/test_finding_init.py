"""Finding's hand-written __init__ is the one @dataclass would write for it, only faster."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from amlguard.scanner.model import Finding, Judgement, Severity, Status


def _reference() -> type:
    """Finding as plain @dataclass makes it (same fields, generated __init__)."""
    own = [
        (f.name, f.type, dataclasses.field(default=f.default))
        for f in dataclasses.fields(Finding)
        if f.name not in {g.name for g in dataclasses.fields(Judgement)}
    ]
    return dataclasses.make_dataclass("Reference", own, bases=(Judgement,), frozen=True, slots=True)


def test_the_signature_is_the_generated_one() -> None:
    ours = inspect.signature(Finding.__init__).parameters
    theirs = inspect.signature(_reference().__init__).parameters  # type: ignore[misc]
    assert [(p.name, p.default, p.kind) for p in ours.values()] == [
        (p.name, p.default, p.kind) for p in theirs.values()
    ]


def _values(seed: int) -> dict[str, Any]:
    return {
        f.name: (seed, f.name) if f.name not in ("severity", "status") else None
        for f in dataclasses.fields(Finding)
    }


@pytest.mark.parametrize("given", [8, 9, 12, 16])
def test_every_field_lands_where_the_generated_init_puts_it(given: int) -> None:
    names = [f.name for f in dataclasses.fields(Finding)]
    values = _values(given)
    args = [values[n] for n in names[:given]]
    ours = Finding(*args)
    theirs = _reference()(*args)
    assert [getattr(ours, n) for n in names] == [getattr(theirs, n) for n in names]
    by_keyword = Finding(**dict(zip(names[:given], args, strict=True)))
    assert by_keyword == ours


def test_it_is_still_frozen_and_replace_still_works() -> None:
    f = Finding("AMLG-1", "n", Severity.LOW, Status.PASS, "/r", "t", "/w", "ok")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.status = Status.FAIL  # type: ignore[misc]
    g = dataclasses.replace(f, status=Status.FAIL, offenders=("x",))
    assert (g.status, g.offenders, g.message, f.status) == (Status.FAIL, ("x",), "ok", Status.PASS)
    assert repr(f).startswith("Finding(rule_id='AMLG-1', rule_name='n'")
