"""The column proof (``_all_sound``) never vouches for rows the row-by-row reading refuses,
whatever JSON rows it is handed: rows that are not objects, ids and types of any JSON type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.sources import snapshotrows
from tests.scanner.test_snapshot_rows_columns import _outcome, _row, _sound_rows

_JSON_VALUE = st.sampled_from([None, True, 0, 1.5, "x", "", [], [1], {}, {"a": 1}])


@st.composite
def _hostile_row(draw: st.DrawFn) -> Any:
    row = draw(_row())
    if isinstance(row, dict) and draw(st.integers(0, 4)) == 0:
        row[draw(st.sampled_from(["id", "type"]))] = draw(_JSON_VALUE)
    if isinstance(row, dict) and isinstance(row.get("id"), str) and draw(st.integers(0, 5)) == 0:
        row["id"] = draw(st.sampled_from(["\n", "\t", "\x1f", "\u00a0", "\u2028"])).join(
            [row["id"], row["id"]]
        )
    return row


@settings(derandomize=True, max_examples=1500, deadline=None)
@given(st.lists(_hostile_row(), max_size=6), st.integers(0, 40))
def test_the_column_proof_vouches_only_for_sound_rows(rows: list[Any], at: int) -> None:
    """True only where every row passes the exact reading and no id repeats."""
    fleet: list[Any] = _sound_rows(10)
    fleet[at:at] = rows
    for candidate in (rows, fleet):
        if snapshotrows._all_sound(candidate):
            snapshotrows._check_each_row(candidate, Path("f"), lambda i: f": data[{i}]")
            keys = [r["id"].strip().rstrip("/").lower() for r in candidate]
            assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.__setitem__(3, [r[3]]),
        lambda r: r.__setitem__(3, "row"),
        lambda r: r[3].__setitem__("id", 7),
        lambda r: r[3].__setitem__("id", None),
        lambda r: r[3].__setitem__("type", ["a"]),
        lambda r: r[3].__setitem__("type", {"a": 1}),
        lambda r: r[3].__setitem__("type", 1),
        lambda r: r[3].__setitem__("id", r[3]["id"] + "\n"),
        lambda r: r[3].__setitem__("id", "\x1c" + r[3]["id"]),
        lambda r: r[3].__setitem__("id", ""),
        lambda r: r[3].__setitem__("tags", []),
    ],
)
def test_odd_rows_are_left_to_the_exact_reading(change: Any) -> None:
    """No exception from the proof itself, and False: the exact reading decides (and words
    the problem, where there is one)."""
    rows = _sound_rows(5)
    change(rows)
    assert snapshotrows._all_sound(rows) is False
    assert _outcome(snapshotrows._check_rows, rows) == _outcome(snapshotrows._check_each_row, rows)
