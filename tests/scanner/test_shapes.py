"""Strict reads in the Python related sources (redteam5 defects 5, 8, 19): an outbound rule,
destination, type, action or ``dnsServers`` that is unknown before deployment or has the wrong
shape is ``error`` (exit 3) naming the resource and the path, never "nothing" that passes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlguard.scanner import shapes
from amlguard.scanner.model import Status
from amlguard.scanner.paths import MISSING
from amlguard.scanner.shapes import MalformedValue, UnknownAt, Where
from amlguard.scanner.unknown import Unknown, UnknownValue
from tests.builders import blueprint
from tests.builders_rules_a import approved_only, fqdn_rule, outbound_rule, service_tag_rule
from tests.scanner.harness import of_rule, scan

AT = Where("/subscriptions/s/resourceGroups/g/providers/X/y/z", "properties.a")


def _110(rows: list[dict[str, Any]]) -> Any:
    (finding,) = of_rule(scan(rows, rule_ids=["AMLG-110"]), "AMLG-110")
    return finding


def _with_rule(rule: Any, name: str = "r") -> list[dict[str, Any]]:
    inst = approved_only(blueprint())
    inst.workspace["properties"]["managedNetwork"]["outboundRules"] = {name: rule}
    return inst.rows()


# ---------------------------------------------------------------- the readers


def test_absent_stays_absent_and_right_shapes_pass_through() -> None:
    assert shapes.obj(MISSING, AT) is None and shapes.obj(None, AT) is None
    assert shapes.text(None, AT) is None and shapes.items(MISSING, AT) is None
    assert shapes.obj({"a": 1}, AT) == {"a": 1}
    assert shapes.text("x", AT) == "x"
    assert shapes.strings(["a", None, "b"], AT) == ["a", "b"]
    assert shapes.strings(MISSING, AT) == []


@pytest.mark.parametrize(
    ("reader", "value", "expected"),
    [
        (shapes.obj, "x", "expected an object"),
        (shapes.obj, [], "expected an object"),
        (shapes.text, {"fqdn": "*"}, "expected a string"),
        (shapes.text, ["*.x.net"], "expected a string"),
        (shapes.text, 7, "expected a string"),
        (shapes.items, "10.9.9.9", "expected a list"),
        (shapes.strings, ["a", 3], "expected a string"),
    ],
)
def test_wrong_shapes_cannot_be_judged_naming_resource_and_path(
    reader: Any, value: Any, expected: str
) -> None:
    with pytest.raises(MalformedValue) as info:
        reader(value, AT)
    text = str(info.value)
    assert expected in text and "properties.a" in text and "/subscriptions/s/" in text
    assert isinstance(info.value, UnknownValue)  # allOf/anyOf keep their Kleene logic


@pytest.mark.parametrize("reader", [shapes.obj, shapes.text, shapes.items, shapes.strings])
def test_unknown_values_cannot_be_judged(reader: Any) -> None:
    unknown = Unknown("/subscriptions/s/x:properties.clientId", where="t.json:9")
    with pytest.raises(UnknownAt) as info:
        reader(unknown, AT)
    assert str(info.value).startswith("unknown before deployment: /subscriptions/s/x:")
    assert "t.json:9" in str(info.value) and "properties.a of /subscriptions/s/" in str(info.value)


def test_messages_neutralise_hostile_text() -> None:
    with pytest.raises(MalformedValue) as info:
        shapes.text(["\x1b[31m\u202e"], Where("id\n", "p"))
    assert "\x1b" not in str(info.value) and "\u202e" not in str(info.value)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- AMLG-110 (defect 8)

MALFORMED_RULES = {
    "rule is a string": "FQDN *",
    "rule is a list": [{"type": "FQDN", "destination": "*"}],
    "destination is a list": {"type": "FQDN", "destination": ["*.core.windows.net"]},
    "destination is an object": {"type": "FQDN", "destination": {"fqdn": "*"}},
    "destination absent": {"type": "FQDN"},
    "type null": {"type": None, "destination": "*"},
    "type absent": {"destination": "*"},
    "type a number": {"type": 1, "destination": "*"},
    "type with a space": {"type": "FQDN ", "destination": "*"},
    "tag destination is a string": {"type": "ServiceTag", "destination": "Internet"},
    "tag is a list": {"type": "ServiceTag", "destination": {"serviceTag": ["Internet"]}},
    "action is odd": {
        "type": "ServiceTag",
        "destination": {"serviceTag": "Internet", "action": "Maybe"},
    },
    "category is a list": {"type": "FQDN", "destination": "*", "category": ["UserDefined"]},
}


@pytest.mark.parametrize("rule", MALFORMED_RULES.values(), ids=list(MALFORMED_RULES))
def test_110_malformed_rule_is_error_not_pass(rule: Any) -> None:
    finding = _110(_with_rule(rule))
    assert finding.status is Status.ERROR, finding
    assert "outboundRules.r" in finding.message and "workspaces/blueprint-mlw" in finding.message


def test_110_malformed_rule_map_is_error() -> None:
    inst = approved_only(blueprint())
    inst.workspace["properties"]["managedNetwork"]["outboundRules"] = ["FQDN *"]
    assert _110(inst.rows()).status is Status.ERROR


def test_110_a_broad_rule_still_fails_beside_a_malformed_one() -> None:
    rows = _with_rule({"type": None})
    ws = next(r for r in rows if r["type"].endswith("/workspaces"))
    ws["properties"]["managedNetwork"]["outboundRules"]["all"] = {
        "type": "FQDN",
        "destination": "*",
    }
    finding = _110(rows)
    assert finding.status is Status.FAIL and "all (FQDN *" in finding.message


def test_110_malformed_rule_in_another_isolation_mode_passes() -> None:
    rows = _with_rule("FQDN *")
    ws = next(r for r in rows if r["type"].endswith("/workspaces"))
    ws["properties"]["managedNetwork"]["isolationMode"] = "AllowInternetOutbound"
    assert _110(rows).status is Status.PASS  # the other branch of the anyOf decides


def test_110_service_labelled_rules_are_read_too() -> None:
    # category is client-writable (redteam10 #6): a service label is no reason to skip a rule
    rule = {"type": None, "category": "Required", "destination": "*"}
    assert _110(_with_rule(rule)).status is Status.ERROR


# ---------------------------------------------------------------- unknowns (defect 5)


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "FQDN", "destination": Unknown("id:properties.clientId")},
        {"type": Unknown("id:properties.tenantId"), "destination": "*"},
        {"type": "ServiceTag", "destination": {"serviceTag": Unknown("id:tag")}},
        {"type": "ServiceTag", "destination": Unknown("id:dest")},
        {"type": "ServiceTag", "destination": {"serviceTag": "Internet", "action": Unknown("a")}},
        Unknown("id:properties.rule"),
    ],
)
def test_110_unknown_values_are_error(rule: Any) -> None:
    finding = _110(_with_rule(rule))
    assert finding.status is Status.ERROR
    assert "unknown before deployment" in finding.message


def test_110_unknown_rule_map_is_error() -> None:
    inst = approved_only(blueprint())
    inst.workspace["properties"]["managedNetwork"]["outboundRules"] = Unknown("ref:rules")
    finding = _110(inst.rows())
    assert finding.status is Status.ERROR and "ref:rules" in finding.message


# ---------------------------------------------------------------- Deny (defect 19)


def test_110_deny_service_tag_is_not_broad_access() -> None:
    inst = approved_only(blueprint())
    service_tag_rule(inst, "block", "Internet")
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["block"]["destination"][
        "action"
    ] = "deny"
    assert _110(inst.rows()).status is Status.PASS
    service_tag_rule(inst, "open", "Internet")  # action Allow
    assert _110(inst.rows()).status is Status.FAIL


def test_110_absent_action_is_allow() -> None:
    inst = approved_only(blueprint())
    outbound_rule(inst, "open", {"type": "ServiceTag", "destination": {"serviceTag": "Storage"}})
    assert _110(inst.rows()).status is Status.FAIL


# ---------------------------------------------------------------- AMLG-301 (defect 8)


def _301(rows: list[dict[str, Any]]) -> set[Status]:
    return {f.status for f in of_rule(scan(rows, rule_ids=["AMLG-301"]), "AMLG-301")}


def _dns(value: Any) -> list[dict[str, Any]]:
    inst = blueprint()
    inst.vnet["properties"]["dhcpOptions"] = {"dnsServers": value}
    return inst.rows()


def test_301_dns_servers_as_string_is_error_list_fails() -> None:
    assert _301(_dns("10.9.9.9")) == {Status.ERROR}
    assert _301(_dns(["10.9.9.9"])) == {Status.FAIL}
    assert _301(_dns(Unknown("ref:dns"))) == {Status.ERROR}
    assert _301(_dns(None)) == {Status.PASS}  # absent: Azure-provided DNS


# ---------------------------------------------------------------- property tests

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
)
_JUNK = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _not(kind: type) -> st.SearchStrategy[Any]:
    return _JUNK.filter(lambda v: v is not None and not isinstance(v, kind))


#: a broad rule, then one part of it replaced with a wrong shape
_BROAD = {
    "fqdn": {"type": "FQDN", "destination": "*"},
    "tag": {"type": "ServiceTag", "destination": {"serviceTag": "Internet"}},
}


@st.composite
def _malformed_broad_rule(draw: st.DrawFn) -> Any:
    base = copy.deepcopy(_BROAD[draw(st.sampled_from(sorted(_BROAD)))])
    where = draw(st.sampled_from(["rule", "type", "destination", "tag", "action", "category"]))
    if where == "rule":
        return draw(_not(dict))
    if where == "type":
        return {**base, "type": draw(_not(str) | st.sampled_from(["FQDN ", "fqdns", "", "Tag"]))}
    if where == "destination" and base["type"] == "FQDN":
        return {**base, "destination": draw(_not(str))}
    if where == "category":
        return {**base, "category": draw(_not(str))}
    if base["type"] == "FQDN":
        return {**base, "destination": draw(_not(str))}
    dest = base["destination"]
    if where == "destination":
        return {**base, "destination": draw(_not(dict))}
    if where == "tag":
        return {**base, "destination": {**dest, "serviceTag": draw(_not(str))}}
    action = draw(_not(str) | st.text(max_size=6).filter(lambda a: a.lower() != "deny"))
    return {**base, "destination": {**dest, "action": action}}


@settings(
    derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(rule=_malformed_broad_rule())
def test_property_110_never_passes_a_malformed_broad_rule(rule: Any) -> None:
    assert _110(_with_rule(rule)).status is not Status.PASS


@settings(
    derandomize=True, max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(value=_not(list) | st.lists(_not(str), min_size=1, max_size=3))
def test_property_301_never_passes_malformed_dns_servers(value: Any) -> None:
    assert Status.PASS not in _301(_dns(value))


def test_fqdn_rule_builder_still_fails_broad() -> None:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "x", "*")
    assert _110(inst.rows()).status is Status.FAIL


@pytest.mark.parametrize(
    "destination",
    [
        "*.blob.storage.azure.net",
        "*.z01.blob.storage.azure.net",
        "*.dfs.storage.azure.net",
        "*.storage.azure.net",
        "*.azure.net",
        "*.file.storage.azure.net",
    ],
)
def test_110_azure_dns_zone_storage_wildcards_fail(destination: str) -> None:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "dnszone", destination)
    finding = _110(inst.rows())
    assert finding.status is Status.FAIL and "dnszone" in finding.message


def test_110_one_dns_zone_storage_host_passes() -> None:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "one", "myaccount.z01.blob.storage.azure.net")
    assert _110(inst.rows()).status is Status.PASS


# ---------------------------------------------------------------- AMLG-302: NICs not placed


def _302(subnet: Any, public: bool = True, configs: Any = None) -> set[Status]:
    inst = blueprint()
    nic = inst.nics[0]
    cfg = nic["properties"]["ipConfigurations"][0]["properties"]
    cfg["subnet"] = subnet
    if public:
        cfg["publicIPAddress"] = {"id": "/subscriptions/x/resourceGroups/g/providers/pip/p"}
    if configs is not None:
        nic["properties"]["ipConfigurations"] = configs
    return {f.status for f in of_rule(scan(inst.rows(), rule_ids=["AMLG-302"]), "AMLG-302")}


def test_302_public_nic_with_unknown_subnet_is_error() -> None:
    assert _302({"id": Unknown("ref(vnet):properties.subnets[1].id")}) == {Status.ERROR}
    assert _302(Unknown("ref(vnet):subnet")) == {Status.ERROR}


def test_302_public_nic_with_malformed_subnet_or_configs_is_error() -> None:
    assert _302({"id": ["/subscriptions/x/subnets/a"]}) == {Status.ERROR}
    assert _302(None, configs={"name": "ipconfig1"}) == {Status.ERROR}


def test_302_nic_without_public_ip_and_unknown_subnet_passes() -> None:
    assert _302({"id": Unknown("ref(vnet):properties.subnets[1].id")}, public=False) == {
        Status.PASS
    }
