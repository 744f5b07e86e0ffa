"""A registered implementation's doc and parameters are read on first use, the same as eagerly."""

from __future__ import annotations

from typing import Any

from amlguard.registry import Entry, Param, Registry


def judge(ctx: Any, zone: str, count: int = 1) -> bool:
    """Whether the zone holds enough records.

    More text that is not the entry's doc."""
    return bool(zone) and count > 0


def test_doc_and_parameters_read_on_first_use() -> None:
    reg: Registry[Any] = Registry("function")
    assert reg.register("Judge", judge) is judge
    assert "judge" in reg and reg.names() == ["Judge"]
    assert reg.get_loaded("JUDGE") is judge and reg.get("judge") is judge
    entry = reg.entry("judge")
    assert entry == Entry(
        "Judge",
        f"{__name__}:judge",
        "Whether the zone holds enough records.",
        (Param("zone", "str", ""), Param("count", "int", "")),
    )
    assert list(reg) == [entry]
    assert reg.describe() == [
        "Judge: Whether the zone holds enough records. (parameters: zone, count)"
    ]


def test_given_doc_and_parameters_win() -> None:
    reg: Registry[Any] = Registry("function")
    reg.register("judge", judge, doc="Given.", parameters=(Param("z", "str", "a zone"),))
    assert [(e.doc, e.parameters) for e in reg] == [("Given.", (Param("z", "str", "a zone"),))]


def test_declared_twice_is_an_error_before_anything_is_read() -> None:
    reg: Registry[Any] = Registry("function")
    reg.register("judge", judge)
    try:
        reg.register("JUDGE", judge)
    except ValueError as exc:
        assert "declared twice" in str(exc)
    else:
        raise AssertionError("a second registration was accepted")
