"""A NIC's ``publicIPAddress`` is read strictly (redteam6 item 7): a list, a bare id string or
an object without an id cannot be judged (AMLG-302 ``error``, exit 3), never "no public IP"."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.model import Status
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.scanner.harness import of_rule, scan

NIC = "blueprint-dev-jumphost-nic"


def _302(value: Any) -> set[Status]:
    rows, _ = read_snapshot(EXAMPLES / "drifted.json")
    nic = next(r for r in rows if r["name"] == NIC)
    cfg = nic["properties"]["ipConfigurations"][0]["properties"]
    if value is _DROP:
        cfg.pop("publicIPAddress", None)
    else:
        cfg["publicIPAddress"] = value(cfg["publicIPAddress"]) if callable(value) else value
    return {f.status for f in of_rule(scan(rows, rule_ids=["AMLG-302"]), "AMLG-302")}


_DROP = object()


def test_as_exported_the_public_ip_fails() -> None:
    assert _302(lambda pip: pip) == {Status.FAIL}


def test_without_a_public_ip_it_passes() -> None:
    assert _302(_DROP) == {Status.PASS}
    assert _302(None) == {Status.PASS}


@pytest.mark.parametrize(
    "value",
    [lambda pip: [pip], lambda pip: pip["id"], lambda pip: {"name": "x"}, lambda pip: {"id": ""},
     lambda pip: {"id": 5}, 7, True],
    ids=["list", "bare-id", "no-id", "empty-id", "int-id", "int", "bool"],
)  # fmt: skip
def test_malformed_public_ip_is_error_not_pass(value: Any) -> None:
    assert _302(value) == {Status.ERROR}


def test_property_names_in_another_case_are_read() -> None:
    assert _302(lambda pip: {"ID": pip["id"]}) == {Status.FAIL}


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=6),
        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
        max_leaves=5,
    )
)  # fmt: skip
def test_any_value_passes_only_when_it_is_no_public_ip(value: Any) -> None:
    found = _302(value)
    if Status.PASS in found:
        assert value is None, value
