"""Every hop AMLG-301 relies on counts only once provisioned (redteam10a #3; redteam9 #16 did
endpoints and zone links): a DNS Private Resolver (and ``dnsResolverState``), its inbound and
outbound endpoints, a forwarding ruleset, its rules and VNet links, an Azure Firewall and its
policy, a private DNS zone. ``Failed``/``Canceled``/``Deleting`` fail naming the resource and its
state; in flux, null or malformed is ``error``; ``Succeeded`` or absent (rows written by hand)
keeps the example's verdicts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import hopstate
from amlguard.scanner.context import Undeterminable
from tests.builders_fix8dns import judge
from tests.builders_fix10net import (
    LZ_HOPS,
    landing_zone,
    named,
    set_state,
    through_firewall,
)

INSTANCES = ("spoke-a-mlw", "spoke-b-mlw")


def _verdicts(tmp_path: Path, rows: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    return {i: Counter(f["status"] for f in judge(tmp_path, rows, i)) for i in INSTANCES}


def _messages(tmp_path: Path, rows: list[dict[str, Any]]) -> list[str]:
    return [f["message"] for i in INSTANCES for f in judge(tmp_path, rows, i)]


def test_the_landing_zone_with_every_hop_listed_passes(tmp_path: Path) -> None:
    found = _verdicts(tmp_path, landing_zone())
    assert found == {i: Counter({"pass": 7}) for i in INSTANCES}


@pytest.mark.parametrize("name", sorted(LZ_HOPS))
@pytest.mark.parametrize("state", ["Failed", "Canceled", "Deleting", " failed "])
def test_a_hop_that_failed_fails_the_zones_relying_on_it(
    tmp_path: Path, name: str, state: str
) -> None:
    rows = landing_zone()
    set_state(named(rows, name), state)
    _type, relying = LZ_HOPS[name]
    found = _verdicts(tmp_path, rows)
    for instance in INSTANCES:
        expected = Counter({"fail": 7}) if instance in relying else Counter({"pass": 7})
        assert found[instance] == expected, (instance, found)
    failing = [m for m in _messages(tmp_path, rows) if "does not resolve" in m]
    assert failing and all(f"{name} is {state.strip()}" in m for m in failing), failing[:2]


@pytest.mark.parametrize("name", sorted(LZ_HOPS))
@pytest.mark.parametrize("state", ["Updating", "Creating", "Provisioning", None, 7, ["Succeeded"]])
def test_a_hop_in_flux_or_malformed_is_error(tmp_path: Path, name: str, state: Any) -> None:
    rows = landing_zone()
    set_state(named(rows, name), state)
    _type, relying = LZ_HOPS[name]
    found = _verdicts(tmp_path, rows)
    for instance in INSTANCES:
        expected = Counter({"error": 7}) if instance in relying else Counter({"pass": 7})
        assert found[instance] == expected, (instance, found)
    errors = [m for m in _messages(tmp_path, rows) if "settles" in m]
    assert errors and all(name in m for m in errors)


@pytest.mark.parametrize("state", ["Succeeded", "SUCCEEDED", " Succeeded ", ...])
def test_succeeded_or_absent_keeps_the_pass(tmp_path: Path, state: Any) -> None:
    rows = landing_zone()
    for name in LZ_HOPS:
        set_state(named(rows, name), state)
    assert all(c == Counter({"pass": 7}) for c in _verdicts(tmp_path, rows).values())


@pytest.mark.parametrize(
    ("state", "status"), [("Disconnected", "fail"), ("Connected", "pass"), ("Starting", "error")]
)
def test_a_resolver_is_judged_by_its_resolver_state(
    tmp_path: Path, state: str, status: str
) -> None:
    rows = landing_zone()
    set_state(named(rows, "dnspr-hub"), state, "dnsResolverState")
    found = _verdicts(tmp_path, rows)
    assert all(c == Counter({status: 7}) for c in found.values()), found


@pytest.mark.parametrize(
    ("name", "state", "status"),
    [
        ("afw-hub", "Failed", "fail"),
        ("afwp-hub", "Failed", "fail"),
        ("afw-hub", "Updating", "error"),
        ("afwp-hub", None, "error"),
        ("afw-hub", "Succeeded", "pass"),
    ],
)
def test_a_dns_proxy_firewall_and_its_policy(
    tmp_path: Path, name: str, state: Any, status: str
) -> None:
    rows = landing_zone()
    through_firewall(rows)
    assert _verdicts(tmp_path, rows)["spoke-a-mlw"] == Counter({"pass": 7})  # the control
    set_state(named(rows, name), state)
    found = _verdicts(tmp_path, rows)
    assert found["spoke-a-mlw"] == Counter({status: 7}), found
    assert found["spoke-b-mlw"] == Counter({"pass": 7})  # it asks the ruleset, not the firewall


@pytest.mark.parametrize(("state", "status"), [("Failed", "fail"), ("Updating", "error")])
def test_a_forwarding_rule_is_judged_by_its_state(tmp_path: Path, state: str, status: str) -> None:
    rows = landing_zone()
    set_state(named(rows, "privatelink-blob-core-windows-net"), state)
    found = {f["resource_name"]: f for f in judge(tmp_path, rows, "spoke-b-mlw")}
    assert found["privatelink.blob.core.windows.net"]["status"] == status
    assert (
        "privatelink-blob-core-windows-net is " + state
        in (found["privatelink.blob.core.windows.net"]["message"])
    )
    assert Counter(f["status"] for f in found.values()) == Counter({"pass": 6, status: 1})
    assert all(f["status"] == "pass" for f in judge(tmp_path, rows, "spoke-a-mlw"))


@pytest.mark.parametrize(("state", "status"), [("Failed", "fail"), ("Creating", "error")])
def test_a_private_dns_zone_is_judged_by_its_state(tmp_path: Path, state: str, status: str) -> None:
    rows = landing_zone()
    set_state(named(rows, "privatelink.vaultcore.azure.net"), state)
    for instance in INSTANCES:
        found = {f["resource_name"]: f["status"] for f in judge(tmp_path, rows, instance)}
        assert found.pop("privatelink.vaultcore.azure.net") == status
        assert set(found.values()) == {"pass"}


states = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.sampled_from(["Succeeded", "Failed", "Canceled", "Deleting", "Updating", "Creating"])
    .map(lambda s: st.sampled_from([s, s.upper(), s.lower(), f" {s}\t"]))
    .flatmap(lambda s: s)
    | st.lists(st.text(max_size=5), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)
)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(state=states, second=states | st.just(...))
def test_the_judge_over_any_state(state: Any, second: Any) -> None:
    row: dict[str, Any] = {"id": "/x/dnsResolvers/r", "properties": {"provisioningState": state}}
    if second is not ...:
        row["properties"]["dnsResolverState"] = second
    verdict, words = hopstate.state(row, hopstate.RESOLVER)
    low = state.strip().lower() if isinstance(state, str) else None
    if low in ("failed", "canceled", "cancelled", "deleting"):
        assert verdict == hopstate.FAILED and words
    elif low != "succeeded":
        assert verdict == hopstate.UNSETTLED and words  # null, non-string, in flux: never a pass
    else:
        other = second.strip().lower() if isinstance(second, str) else None
        expected = {"connected": hopstate.IN_PLACE, "disconnected": hopstate.FAILED}
        if second is ...:
            assert verdict == hopstate.IN_PLACE
        else:  # a list, an object, a number or null is never a pass
            assert verdict == expected.get(other or "", hopstate.UNSETTLED)
    if verdict == hopstate.UNSETTLED:
        with pytest.raises(Undeterminable):
            hopstate.problem(row, hopstate.RESOLVER, "x")
    elif verdict == hopstate.FAILED:
        assert hopstate.problem(row, hopstate.RESOLVER, "it answers nothing").endswith(
            ": it answers nothing"
        )
    assert "\x1b" not in words


def test_properties_that_are_not_an_object_are_error() -> None:
    assert hopstate.state({"id": "x", "properties": "Failed"}, hopstate.ZONE)[0] == (
        hopstate.UNSETTLED
    )
    assert hopstate.state({"id": "x"}, hopstate.ZONE)[0] == hopstate.IN_PLACE  # hand-written


@settings(derandomize=True, max_examples=300, deadline=None)
@given(state=states | st.just(...))
def test_a_zone_group_registers_only_when_it_works(state: Any) -> None:
    from amlguard.scanner import zonegroups
    from amlguard.scanner.unknown import Unknown

    group: dict[str, Any] = {
        "id": "/x/privateEndpoints/pe/privateDnsZoneGroups/g",
        "properties": {},
    }
    if state is not ...:
        group["properties"]["provisioningState"] = state
    shown = zonegroups.unregistered(group, "privatelink.blob.core.windows.net")
    low = state.strip().lower() if isinstance(state, str) else None
    if state is ... or low == "succeeded":
        assert shown is None
    elif low in ("failed", "canceled", "cancelled", "deleting"):
        assert type(shown) is str and shown.startswith("privatelink.blob.core.windows.net (")
        assert "private DNS zone group g is" in shown
    else:
        assert type(shown) is Unknown and "private DNS zone group g" in shown.reason()
