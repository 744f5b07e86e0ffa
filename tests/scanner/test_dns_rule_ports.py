"""AMLG-301: a DNS forwarding rule's target port and state are read strictly (redteam6 14).

A rule forwarding to a Private Resolver inbound endpoint on port 5353 passed (the endpoint
answers on 53 only), and ``forwardingRuleState`` 0 / false / "" counted as Enabled.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.scanner.harness import scan

_ROWS, _ = read_snapshot(EXAMPLES / "landing-zone.json")
RULE = "microsoft.network/dnsforwardingrulesets/forwardingrules"
ZONE = "privatelink.api.azureml.ms"


def _rows(**changes: Any) -> list[dict[str, Any]]:
    """The landing zone, with the forwarding rule for ZONE's domain changed (None: removed)."""
    rows = copy.deepcopy(_ROWS)
    for row in rows:
        props = row.get("properties") or {}
        if str(row["type"]).lower() == RULE and ZONE.startswith(
            str(props.get("domainName", "")).rstrip(".").lower()
        ):
            for key, value in changes.items():
                if value is None:
                    props.pop(key, None)
                else:
                    props[key] = value
    return rows


def _verdict(rows: list[dict[str, Any]]) -> tuple[str, str]:
    """(status, message) of AMLG-301 on spoke B's ZONE."""
    for f in scan(rows, rule_ids=["AMLG-301"]):
        if "spoke-b" in f.instance.lower() and f.resource_id.lower().endswith(ZONE):
            return f.status.value, f.message
    raise AssertionError("no AMLG-301 finding for the zone")


def _targets(port: Any = ..., ip: Any = "10.100.1.4") -> list[dict[str, Any]]:
    target: dict[str, Any] = {"ipAddress": ip}
    if port is not ...:
        target["port"] = port
    return [target]


def test_the_example_resolves_through_the_ruleset() -> None:
    assert _verdict(_rows())[0] == "pass"


@pytest.mark.parametrize("port", [..., None, 53])
def test_port_53_or_absent_resolves(port: Any) -> None:
    assert _verdict(_rows(targetDnsServers=_targets(port)))[0] == "pass"


@pytest.mark.parametrize("port", [5353, 54, 0])
def test_another_port_does_not_resolve_and_says_so(port: Any) -> None:
    status, message = _verdict(_rows(targetDnsServers=_targets(port)))
    assert status == "fail"
    assert f"port {port}" in message and "port 53" in message


@pytest.mark.parametrize("port", ["53", "5353", True, 53.0, [53], {"v": 53}])
def test_a_malformed_port_is_an_error(port: Any) -> None:
    status, message = _verdict(_rows(targetDnsServers=_targets(port)))
    assert status == "error"
    assert "port" in message


@pytest.mark.parametrize("state", [0, False, "", "On", " Enabled ", [], {}])
def test_a_malformed_rule_state_is_an_error_never_enabled(state: Any) -> None:
    status, message = _verdict(_rows(forwardingRuleState=state))
    assert status == "error"
    assert "forwardingRuleState" in message


@pytest.mark.parametrize("state", [None, "Enabled", "enabled", "ENABLED"])
def test_an_absent_or_enabled_state_is_enabled(state: Any) -> None:
    assert _verdict(_rows(forwardingRuleState=state))[0] == "pass"


def test_a_disabled_rule_is_not_used() -> None:
    status, message = _verdict(_rows(forwardingRuleState="Disabled"))
    assert status == "fail" and "Disabled" in message


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1, 70000),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(0, 100), max_size=2),
)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(port=_VALUES, state=_VALUES)
def test_any_port_and_state_give_a_verdict_and_pass_only_when_valid(port: Any, state: Any) -> None:
    status, _message = _verdict(_rows(targetDnsServers=_targets(port), forwardingRuleState=state))
    assert status in ("pass", "fail", "error")
    port_ok = port is None or (type(port) is int and port == 53)
    state_ok = state is None or (isinstance(state, str) and state.lower() == "enabled")
    if status == "pass":
        assert port_ok and state_ok
    if port_ok and state_ok:
        assert status == "pass"
