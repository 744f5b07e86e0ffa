"""The column-wise proof that snapshot rows are sound answers as the row-by-row reading does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.errors import InputError
from amlguard.scanner.sources import snapshotrows

_PATH = Path("f.json")

# Id and type pieces that make the two readings disagree if either is wrong: provider markers
# in any case, empty segments, placeholders, blanks, non-ASCII letters, trailing slashes.
_ID_SEGMENTS = st.sampled_from(
    [
        "subscriptions",
        "s1",
        "resourceGroups",
        "rg",
        "providers",
        "PROVIDERS",
        "Microsoft.Network",
        "privateEndpoints",
        "pe",
        "privateDnsZoneGroups",
        "default",
        "Microsoft.MachineLearningServices",
        "workspaces",
        "ws",
        "",
        "<unknown: a/b>",
        "İ",
        " ",
    ]
)
_TYPES = st.sampled_from(
    [
        "Microsoft.Network/privateEndpoints",
        "microsoft.network/privateendpoints/privatednszonegroups",
        "microsoft.machinelearningservices/workspaces",
        "Microsoft.Resources/subscriptions",
        " microsoft.network/privateendpoints ",
        "/microsoft.network/privateendpoints",
        "microsoft.network/privateendpoints/",
        "microsoft.network//privateendpoints",
        "",
        "x",
        "İ/x",
    ]
)
_VALUES = st.sampled_from([None, {}, {"a": 1}, "text", [1], 3])


@st.composite
def _row(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from([[], "row", None, 1]))
    row: dict[str, Any] = {}
    if draw(st.integers(0, 20)):
        segments = draw(st.lists(_ID_SEGMENTS, min_size=0, max_size=10))
        rid = ("/" if draw(st.booleans()) else "") + "/".join(segments)
        row["id"] = rid + draw(st.sampled_from(["", "/", "//", " "]))
    elif draw(st.booleans()):
        row["id"] = draw(st.sampled_from([None, 5, ["x"]]))
    if draw(st.integers(0, 10)):
        row["type"] = draw(_TYPES)
    elif draw(st.booleans()):
        row["type"] = draw(st.sampled_from([None, 1, {"a": 1}]))
    for key in ("properties", "identity", "sku", "tags"):
        if draw(st.booleans()):
            row[key] = draw(_VALUES) if draw(st.integers(0, 6)) == 0 else {}
    if draw(st.integers(0, 8)) == 0:
        props = row.setdefault("properties", {})
        if isinstance(props, dict):
            props["managedNetwork"] = draw(_VALUES)
    if draw(st.booleans()):
        row["name"] = "n"
    return row


def _outcome(check: Any, rows: list[Any]) -> str | None:
    try:
        check(rows, _PATH, lambda i: f": data[{i}]")
    except InputError as exc:
        return str(exc)
    return None


def _sound_rows(count: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(count):
        pe = f"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/privateEndpoints/p{i}"
        rows.append({"id": pe, "type": "microsoft.network/privateendpoints", "properties": {}})
        rows.append(
            {
                "id": pe + "/privateDnsZoneGroups/default",
                "type": "microsoft.network/privateendpoints/privatednszonegroups",
                "tags": None,
            }
        )
    rows.append({"id": "/subscriptions/S", "type": "microsoft.resources/subscriptions"})
    rows.append(
        {
            "id": "/subscriptions/S/resourceGroups/RG/providers/"
            "Microsoft.MachineLearningServices/workspaces/w",
            "type": "Microsoft.MachineLearningServices/workspaces",
            "properties": {"managedNetwork": {"outboundRules": {}}},
        }
    )
    return rows


@settings(derandomize=True, max_examples=1500, deadline=None)
@given(st.lists(_row(), max_size=6), st.booleans())
def test_columns_and_rows_give_the_same_verdict(rows: list[Any], repeat: bool) -> None:
    """Same error (file, row, wording), or none; repeated rows included."""
    if repeat and rows:
        rows = [*rows, rows[0]]
    assert _outcome(snapshotrows._check_rows, rows) == _outcome(snapshotrows._check_each_row, rows)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(_row(), min_size=1, max_size=3), st.integers(0, 41))
def test_one_odd_row_among_many_sound_ones(odd: list[Any], at: int) -> None:
    """A fleet of sound rows with a few drawn ones in the middle: the same verdict."""
    rows: list[Any] = _sound_rows(20)
    rows[at:at] = odd
    assert _outcome(snapshotrows._check_rows, rows) == _outcome(snapshotrows._check_each_row, rows)


def test_a_sound_fleet_is_proven_by_columns_alone() -> None:
    rows = _sound_rows(50)
    assert snapshotrows._all_sound(rows) is True
    assert _outcome(snapshotrows._check_rows, rows) is None


@pytest.mark.parametrize(
    ("change", "wanted"),
    [
        (lambda r: r[5].__setitem__("type", "microsoft.network/networkinterfaces"), "contradicts"),
        (lambda r: r[7].__setitem__("properties", "x"), "'properties' must be an object"),
        (lambda r: r[-1]["properties"].__setitem__("managedNetwork", 1), "managedNetwork"),
        (lambda r: r.append({**r[3], "properties": {"a": 1}}), "with different content"),
        (lambda r: r.append(1), "must be a JSON object"),
    ],
)
def test_each_problem_still_reports_its_row(change: Any, wanted: str) -> None:
    rows = _sound_rows(10)
    change(rows)
    message = _outcome(snapshotrows._check_rows, rows)
    assert message is not None and wanted in message
    assert message == _outcome(snapshotrows._check_each_row, rows)


def test_an_identical_repeated_row_is_still_accepted() -> None:
    rows = _sound_rows(3)
    rows.append(dict(rows[2]))
    assert snapshotrows._all_sound(rows) is False  # the row-by-row reading decides
    assert _outcome(snapshotrows._check_rows, rows) is None
