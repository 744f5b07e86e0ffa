"""A private endpoint whose subnet cannot be read makes the solution VNet undeterminable:
the rules that need it are ``error`` (exit 3), never "no solution VNet" + skipped (exit 0)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.model import Status
from tests.builders import Instance as Built
from tests.builders import blueprint
from tests.scanner.harness import instances, of_rule, one, scan

#: the rules whose target is the solution VNet or need it (AMLG-233's endpoints "in" it)
NEEDS_VNET = ("AMLG-233", "AMLG-301", "AMLG-302")
_ABSENT: Any = object()


def _set_subnet(pe: dict[str, Any], subnet: Any) -> None:
    """``properties.subnet`` of an endpoint: ``_ABSENT`` drops it, else it is set."""
    if subnet is _ABSENT:
        pe["properties"].pop("subnet", None)
    else:
        pe["properties"]["subnet"] = subnet


def _drifted(inst: Built) -> list[dict[str, Any]]:
    """The blueprint's rows without its VNet links (real drift AMLG-301 must report)."""
    return [
        r
        for r in inst.rows()
        if r["type"] != "microsoft.network/privatednszones/virtualnetworklinks"
    ]


BAD_SUBNETS = [
    pytest.param(None, "properties.subnet of private endpoint", "is null", id="subnet-null"),
    pytest.param(_ABSENT, "properties.subnet of private endpoint", "is absent", id="subnet-absent"),
    pytest.param({"id": None}, "properties.subnet.id of private endpoint", "is null", id="id-null"),
    pytest.param({}, "properties.subnet.id of private endpoint", "is absent", id="id-absent"),
    pytest.param(
        {"id": 5}, "properties.subnet.id of private endpoint", "a number (5)", id="id-int"
    ),
    pytest.param({"id": "snet"}, "properties.subnet.id", "not a subnet id", id="id-not-a-subnet"),
    pytest.param("/subscriptions/x", "properties.subnet of private endpoint", "a string", id="str"),
]


@pytest.mark.parametrize(("subnet", "where", "said"), BAD_SUBNETS)
def test_unreadable_inbound_subnet_is_an_error_naming_the_endpoint(
    subnet: Any, where: str, said: str
) -> None:
    inst = blueprint()
    pe = inst.endpoints["workspace"]
    _set_subnet(pe, subnet)
    findings = scan(_drifted(inst))
    for rule_id in NEEDS_VNET:
        f = one(findings, rule_id)
        assert f.status is Status.ERROR, (rule_id, f.message)
        assert "no solution VNet can be determined" in f.message
        assert where in f.message and said in f.message and pe["name"] in f.message
        assert "has no inbound private endpoint" not in f.message


def test_a_known_subnet_reports_the_drift() -> None:
    """The control: the same estate with the subnet readable fails AMLG-301 (exit 1)."""
    findings = scan(_drifted(blueprint()))
    assert {f.status for f in of_rule(findings, "AMLG-301")} == {Status.FAIL}


def test_unreadable_subnet_of_an_unpicked_inbound_endpoint_does_not_matter() -> None:
    """A Rejected inbound endpoint sorts after the Approved one: it is never picked."""
    inst = blueprint()
    pe = inst.endpoints["workspace"]
    rejected = {
        **pe,
        "id": pe["id"] + "-rejected",
        "name": pe["name"] + "-rejected",
        "properties": {
            "subnet": {"id": None},
            "privateLinkServiceConnections": [
                {
                    "properties": {
                        "privateLinkServiceId": inst.workspace["id"],
                        "groupIds": ["amlworkspace"],
                        "privateLinkServiceConnectionState": {"status": "Rejected"},
                    }
                }
            ],
        },
    }
    inst.extra.append(rejected)
    (got,) = instances(inst.rows())
    assert got.solution_subnet == inst.subnet_id and got.solution_problem is None


def test_unreadable_associated_subnet_errors_only_when_it_could_change_the_vote() -> None:
    inst = blueprint()
    inst.remove_endpoint("workspace")
    # 4 associated endpoints: 3 in snet-endpoints, 1 unreadable: the vote stands (3 > 0 + 1).
    inst.endpoints["keyvault"]["properties"]["subnet"] = {"id": 7}
    (got,) = instances(inst.rows())
    assert got.solution_subnet == inst.subnet_id and got.solution_problem is None
    # 2 readable, 2 unreadable: the unread ones could outvote them.
    inst.endpoints["registry"]["properties"]["subnet"] = None
    (got,) = instances(inst.rows())
    assert got.solution_subnet is None and got.solution_vnet is None
    assert got.solution_problem is not None and "blueprint" in str(got.solution_problem)
    for rule_id in NEEDS_VNET:
        assert one(scan(inst.rows()), rule_id).status is Status.ERROR


def test_inbound_endpoint_outside_the_scan_is_an_error_not_a_skip() -> None:
    inst = blueprint()
    pe = inst.endpoints["workspace"]
    rows = [r for r in _drifted(inst) if r["id"] != pe["id"]]
    f = one(scan(rows), "AMLG-301")
    assert f.status is Status.ERROR and "not in the scanned inventory" in f.message
    assert pe["name"] in f.message


def test_no_endpoint_at_all_is_still_a_skip_saying_so() -> None:
    inst = blueprint()
    for key in ["workspace", "storage-blob", "storage-file", "keyvault", "registry"]:
        inst.remove_endpoint(key)
    f = one(scan(inst.rows()), "AMLG-301")
    assert f.status is Status.SKIPPED
    assert "has no inbound private endpoint and its associated resources have none" in f.message


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=12),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(
            st.sampled_from(["id", "Id", "name"]),
            st.one_of(st.none(), st.integers(), st.text(max_size=8)),
            max_size=2,
        ),
    )
)
def test_any_malformed_inbound_subnet_is_never_a_silent_pass(subnet: Any) -> None:
    """Whatever the inbound endpoint's ``subnet`` holds, AMLG-301 over unlinked zones is never
    pass or skipped: fail when it names a subnet, else error."""
    inst = blueprint()
    _set_subnet(inst.endpoints["workspace"], subnet)
    found = of_rule(scan(_drifted(inst), rule_ids=["AMLG-301"]), "AMLG-301")
    assert found and {f.status for f in found} <= {Status.FAIL, Status.ERROR}


@pytest.mark.parametrize(("subnet", "said"), [({"id": 5}, "a number (5)"), (None, "is null")])
def test_unreadable_subnet_of_an_integrated_endpoint_is_not_outside_the_vnet(
    subnet: Any, said: str
) -> None:
    """AMLG-233 asks for the account's endpoint *in* the solution VNet: one whose subnet cannot
    be read may be that one (error), it is not "no endpoint in the VNet" (a false fail)."""
    inst = blueprint()
    pe = inst.endpoints["openai"]
    _set_subnet(pe, subnet)
    f = one(scan(inst.rows(), rule_ids=["AMLG-233"]), "AMLG-233")
    assert f.status is Status.ERROR and said in f.message and pe["name"] in f.message
