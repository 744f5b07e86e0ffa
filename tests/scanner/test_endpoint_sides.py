"""A private endpoint connection seen from both sides: they must agree to count as Approved.

Red-team finding: the endpoint's own ``privateLinkServiceConnectionState`` saying Rejected was
overwritten by the target's Approved, so AMLG-109/202/212/223/233 passed (exit 0).
"""

from __future__ import annotations

import copy

import pytest

from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.scanner.harness import not_passing, scan

_ROWS, _ = read_snapshot(EXAMPLES / "compliant.json")
PE = "microsoft.network/privateendpoints"


@pytest.mark.parametrize("state", ["Rejected", "Pending", "Disconnected"])
def test_an_endpoint_that_says_otherwise_is_not_approved(state: str) -> None:
    rows = copy.deepcopy(_ROWS)
    for row in rows:
        if str(row["type"]).lower() == PE:
            for conn in row["properties"].get("privateLinkServiceConnections", []):
                conn["properties"]["privateLinkServiceConnectionState"]["status"] = state
    failing = not_passing(scan(rows))
    assert {"AMLG-109", "AMLG-202", "AMLG-212", "AMLG-223", "AMLG-233"} <= set(failing), failing


def test_both_sides_approved_still_pass() -> None:
    assert not_passing(scan(copy.deepcopy(_ROWS))) == {}
