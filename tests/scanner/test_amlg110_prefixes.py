"""AMLG-110 judges a ServiceTag rule by what Azure applies (redteam10 #1): its addressPrefixes
when it has some ("if provided, the ServiceTag property will be ignored"), else its tag; and
every FQDN/ServiceTag rule whatever its client-writable ``category`` (redteam10 #6)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.scanner.model import Severity, Status
from amlguard.scanner.servicetag import prefix_reason
from amlguard.scanner.shapes import MalformedValue, Where
from tests.builders import Instance, blueprint
from tests.builders_fix10rules import prefix_rule
from tests.builders_rules_a import approved_only, fqdn_rule, service_tag_rule
from tests.emulator import arg
from tests.emulator.server import Emulator
from tests.scanner.harness import all_pass, of_rule, scan

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"
AT = Where("/subscriptions/x/ws", "properties.managedNetwork.outboundRules.r.destination")


def _110(inst: Instance) -> Any:
    (finding,) = of_rule(scan(inst.rows(), rule_ids=["AMLG-110"]), "AMLG-110")
    return finding


@pytest.mark.parametrize(
    "prefixes",
    [
        ["0.0.0.0/0"],
        ["::/0"],
        ["203.0.113.0/24", "0.0.0.0/1"],
        ["10.0.0.0/8"],
        ["*"],
        ["Internet"],
        ["::ffff:0:0/96"],  # every IPv4 address, spelled as IPv6
        ["::/80"],  # holds the IPv4-mapped range
        ["0.0.0.0/1", "128.0.0.0/1"],
        [f"{i}.0.0.0/17" for i in range(1, 3)] + ["1.0.128.0/17"],  # /17s adding up past a /16
    ],
)
@pytest.mark.parametrize("tag", ["AzureMachineLearning", None, "Storage"])
def test_broad_prefixes_fail_high_whatever_the_tag(prefixes: list[str], tag: Any) -> None:
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", prefixes, tag=tag)
    finding = _110(inst)
    assert finding.status is Status.FAIL and finding.severity is Severity.HIGH, finding.message
    assert "egress (ServiceTag prefixes" in finding.message


@pytest.mark.parametrize(
    "prefixes",
    [["203.0.113.10/32"], ["203.0.113.0/24", "198.51.100.0/24"], ["2001:db8::/48"], ["1.2.0.0/16"]],
)
def test_narrow_prefixes_pass_even_behind_a_forbidden_tag(prefixes: list[str]) -> None:
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", prefixes, tag="Storage")  # the tag is ignored by Azure
    all_pass(inst.rows())


def test_the_limits_are_parameters() -> None:
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", ["203.0.113.0/24"])
    strict = {"AMLG-110": {"min_prefix_length": 28}}
    (finding,) = of_rule(scan(inst.rows(), strict, rule_ids=["AMLG-110"]), "AMLG-110")
    assert finding.status is Status.FAIL and "wider than /28" in finding.message
    prefix_rule(inst, "egress", ["2001:db8::/40"])
    loose = {"AMLG-110": {"min_ipv6_prefix_length": 32}}
    (finding,) = of_rule(scan(inst.rows(), loose, rule_ids=["AMLG-110"]), "AMLG-110")
    assert finding.status is Status.PASS
    assert _110(inst).status is Status.FAIL  # default /48


@pytest.mark.parametrize(
    "prefixes",
    [["not-a-prefix"], ["10.0.0.0/33"], [""], [None], [7], "0.0.0.0/0", {"p": "0.0.0.0/0"}],
)
def test_malformed_prefixes_are_error(prefixes: Any) -> None:
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", prefixes)
    finding = _110(inst)
    assert finding.status is Status.ERROR and "addressPrefixes" in finding.message


def test_a_broad_prefix_beside_a_malformed_one_still_fails() -> None:
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", ["bogus", "0.0.0.0/0"])
    assert _110(inst).status is Status.FAIL


def test_empty_prefixes_fall_back_to_the_tag() -> None:
    for tag, status in (("Storage", Status.FAIL), ("AzureMachineLearning", Status.PASS)):
        inst = approved_only(blueprint())
        prefix_rule(inst, "egress", [], tag=tag)
        assert _110(inst).status is status
        prefix_rule(inst, "egress", None, tag=tag)
        assert _110(inst).status is status


@pytest.mark.parametrize("tag", [None, "", "  "])
def test_a_rule_naming_no_destination_is_error(tag: Any) -> None:
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", [], tag=tag)
    finding = _110(inst)
    assert finding.status is Status.ERROR and "names no destination" in finding.message


def test_a_deny_rule_is_no_leak() -> None:
    inst = approved_only(blueprint())
    prefix_rule(inst, "block", ["0.0.0.0/0"], action="Deny")
    all_pass(inst.rows())


@pytest.mark.parametrize("key", ["protocol", "portRanges"])
def test_ports_and_protocol_must_be_strings(key: str) -> None:
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", ["203.0.113.10/32"])
    rules = inst.workspace["properties"]["managedNetwork"]["outboundRules"]
    rules["egress"]["destination"][key] = [443]
    assert _110(inst).status is Status.ERROR


def test_narrow_ports_do_not_make_everything_narrow() -> None:
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", ["0.0.0.0/0"])
    rules = inst.workspace["properties"]["managedNetwork"]["outboundRules"]
    rules["egress"]["destination"].update(protocol="TCP", portRanges="443")
    assert _110(inst).status is Status.FAIL  # HTTPS to every address is egress anywhere


# ---------------------------------------------------------------- #6 category


@pytest.mark.parametrize("category", ["Required", "recommended", " Dependency ", "UserDefined"])
def test_a_category_label_exempts_nothing(category: str) -> None:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "allow-all", "*", category=category)
    finding = _110(inst)
    assert finding.status is Status.FAIL and "allow-all (FQDN *" in finding.message
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", ["0.0.0.0/0"], category=category)
    assert _110(inst).status is Status.FAIL


def test_service_labelled_narrow_rules_still_pass() -> None:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "pypi", "pypi.org", category="Recommended")
    service_tag_rule(inst, "aml", "AzureMachineLearning")
    rules = inst.workspace["properties"]["managedNetwork"]["outboundRules"]
    rules["aml"]["category"] = "Required"
    all_pass(inst.rows())


# ---------------------------------------------------------------- properties


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_ipv4_prefix_broad_iff_wider_than_the_limit(address: Any, length: int) -> None:
    net = ipaddress.ip_network(f"{address}/{length}", strict=False)
    reason = prefix_reason([str(net)], AT, 16, 48)
    assert (reason is not None) == (length < 16)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.ip_addresses(v=6), st.integers(min_value=0, max_value=128))
def test_ipv6_prefix_broad_iff_wider_than_the_limit(address: Any, length: int) -> None:
    net = ipaddress.ip_network(f"{address}/{length}", strict=False)
    mapped = ipaddress.ip_network("::ffff:0:0/96")
    reason = prefix_reason([str(net)], AT, 16, 48)
    if net.subnet_of(mapped):
        assert (reason is not None) == (length - 96 < 16)
    elif mapped.subnet_of(net) or length < 48:
        assert reason is not None
    else:
        assert reason is None


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**15 - 1), min_size=1, max_size=40))
def test_many_narrow_prefixes_add_up(blocks: list[int]) -> None:
    """Any set of /24s is broad exactly when it opens more addresses than one /16."""
    nets = [str(ipaddress.IPv4Network((b << 8, 24))) for b in blocks]
    reason = prefix_reason(nets, AT, 16, 48)
    assert (reason is not None) == (len(set(blocks)) * 256 > 2**16)
    reason = prefix_reason(nets, AT, 22, 48)
    assert (reason is not None) == (len(set(blocks)) > 4)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(max_size=24))
def test_any_text_is_judged_or_refused_never_crashes(text: str) -> None:
    try:
        ipaddress.ip_network(text.strip(), strict=False)
        parsed = True
    except ValueError:
        parsed = False
    try:
        prefix_reason([text], AT, 16, 48)
    except MalformedValue as exc:
        assert not parsed and "cannot be judged" in str(exc)
    else:
        assert parsed or text.strip().lower() in {"*", "any", "internet"}


# ---------------------------------------------------------------- live == snapshot


@pytest.mark.parametrize("category", ["UserDefined", "Dependency"])
@pytest.mark.parametrize("prefixes", [["0.0.0.0/0"], ["203.0.113.10/32"]])
def test_live_and_snapshot_judge_alike(
    prefixes: list[str], category: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    inst = approved_only(blueprint())
    prefix_rule(inst, "egress", prefixes, tag="Storage", category=category)
    rows = inst.rows()
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows))
    runner = CliRunner()
    only = ["--rule", "AMLG-110", "--format", "json"]
    with Emulator(rows) as emu:
        arg.install(emu)
        live_args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
        live = runner.invoke(cli, ["check", *only, *live_args])
    offline = runner.invoke(cli, ["check", *only, "--snapshot", str(snap)])
    assert live.exit_code == offline.exit_code == (1 if prefixes == ["0.0.0.0/0"] else 0)
    assert json.loads(live.stdout)["findings"] == json.loads(offline.stdout)["findings"]
