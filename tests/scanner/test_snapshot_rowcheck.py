"""The snapshot loader's fast per-row checks give the answers of the plain, per-id reading."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.errors import InputError
from amlguard.scanner.sources import snapshot

# Segments that make ids interesting: provider markers in any case, types, names, empties,
# template placeholders, and characters whose lower-case form is longer.
_SEGMENTS = st.sampled_from(
    [
        "subscriptions",
        "s1",
        "resourceGroups",
        "RG",
        "providers",
        "Providers",
        "PROVIDERS",
        "Microsoft.Network",
        "privateDnsZones",
        "privatelink.blob.core.windows.net",
        "virtualNetworkLinks",
        "link",
        "Microsoft.MachineLearningServices",
        "workspaces",
        "ws",
        "",
        "<unknown: x/y>",
        "<UNKNOWN:a",
        "İ",
        "x<y",
    ]
)


def _plain_named_type(rid: str) -> str:
    """The reading the loader had before its fast path (kept here as the reference)."""
    low = rid.lower()
    cut = low.find("<unknown:")
    if cut >= 0:
        low = low[:cut] + "x"
    i = low.rfind("/providers/")
    if i < 0:
        return ""
    tail = low[i + 11 :].split("/")
    return "/".join([tail[0], *tail[1::2]]).strip("/")


@settings(derandomize=True, max_examples=1500, deadline=None)
@given(st.lists(_SEGMENTS, max_size=12), st.booleans(), st.booleans())
def test_named_type_matches_the_plain_reading(segments: list[str], lead: bool, end: bool) -> None:
    """Mixed-case and repeated provider markers, placeholders, empty segments: same type."""
    rid = ("/" if lead else "") + "/".join(segments) + ("/" if end else "")
    assert snapshot._named_type(rid) == _plain_named_type(rid)


@pytest.mark.parametrize(
    "rid",
    [
        "/subscriptions/s/resourceGroups/g/providers/A.B/c/n/Providers/X.Y/z/m",
        "/subscriptions/s/providers/providers/A/b/c",
        "/subscriptions/s/providers/Providers/A/b/c",
        "/x/providers/A.B/c/n/PROVIDERS/D.E/f/g/h",
        "/x/providers/A.B/c/<unknown: a/b>/d/e",
        "/x/PROVIDERS/A.B/c/n",
        "providers/A/b",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/",
    ],
)
def test_named_type_on_awkward_ids(rid: str) -> None:
    """The ids where the fast path must step aside for the general reading."""
    assert snapshot._named_type(rid) == _plain_named_type(rid)


def _row(**extra: Any) -> dict[str, Any]:
    rid = (
        "/subscriptions/s/resourceGroups/rg/providers/"
        "Microsoft.MachineLearningServices/workspaces/ws"
    )
    return {"id": rid, "type": "Microsoft.MachineLearningServices/workspaces", **extra}


@pytest.mark.parametrize(
    ("row", "wanted"),
    [
        (_row(), None),
        (_row(type=None), None),
        (_row(type=7), "'type' must be a string, found a number"),
        (_row(type="microsoft.network/privateendpoints"), "contradicts the type its id names"),
        (_row(properties=[]), "'properties' must be an object, found an array"),
        (_row(tags="x", properties=1), "'properties' must be an object, found a number"),
        (_row(sku=True), "'sku' must be an object, found a boolean"),
        (
            _row(properties={"managedNetwork": "on"}),
            "'properties.managedNetwork' must be an object, found a string",
        ),
        (
            _row(identity={"userAssignedIdentities": []}),
            "'identity.userAssignedIdentities' must be an object, found an array",
        ),
        (_row(type="microsoft.network/privateendpoints ", properties=2), "contradicts"),
    ],
)
def test_row_problem_names_the_first_problem(row: dict[str, Any], wanted: str | None) -> None:
    """The type first, then every row's objects in order, then the type's own paths."""
    problem = snapshot.row_problem(row)
    if wanted is None:
        assert problem is None
    else:
        assert problem is not None and wanted in problem


def test_check_rows_reports_the_row_with_a_contradicting_type() -> None:
    """A row of the same parent as a good one is still read for itself."""
    good = _row()
    bad = {**_row(), "id": good["id"][:-2] + "w2", "type": "microsoft.storage/storageaccounts"}
    with pytest.raises(InputError, match=r"data\[1\].*contradicts"):
        snapshot._check_rows([good, bad], snapshot.Path("f.json"), lambda i: f": data[{i}]")
