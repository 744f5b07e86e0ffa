"""AMLG-112 (redteam8 item 15, real-estates section 4): an AmlCompute cluster of a customer-VNet
workspace has ``remoteLoginPortPublicAccess`` Disabled (absent or NotSpecified fails, and the
fix says why), and computes may sit in the VNets of ``allowed_compute_vnets`` besides the
solution VNet (ids compared case-insensitively; a malformed id is a config error, exit 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.config import ConfigError, check_against_pack, load_config
from amlguard.scanner.model import Status
from amlguard.scanner.params import item_problems
from amlguard.scanner.rules import load_pack
from tests.builders import Instance, blueprint, compute, customer_vnet
from tests.scanner.harness import of_rule, pack, scan

OTHER_VNET = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-train"
    "/providers/Microsoft.Network/virtualNetworks/vnet-train"
)
Row = dict[str, Any]


def _custom() -> Instance:
    inst = customer_vnet(blueprint())
    inst.workspace.setdefault("tags", {})["amlguard-network-isolation"] = "custom"
    return inst


def _cluster(inst: Instance, **props: Any) -> Row:
    row = compute(inst, "gpu-cluster")
    row["properties"]["properties"].update(props)
    inst.extra.append(row)
    return row


def _112(inst: Instance, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """AMLG-112's findings by compute name."""
    findings = scan(inst.rows(), parameters=parameters, rule_ids=["AMLG-112"])
    return {f.resource_id.rsplit("/", 1)[-1]: f for f in of_rule(findings, "AMLG-112")}


def test_the_builders_compliant_computes_pass() -> None:
    """customer_vnet()'s cluster sets Disabled; its compute instance has no such property."""
    found = _112(_custom())
    assert {n: f.status for n, f in found.items()} == {
        "cpu-cluster": Status.PASS,
        "ci-dev": Status.PASS,
    }


@pytest.mark.parametrize("value", ["Enabled", "NotSpecified", None, "", 0])
def test_a_cluster_whose_remote_login_port_is_not_disabled_fails(value: Any) -> None:
    inst = _custom()
    row = _cluster(inst, remoteLoginPortPublicAccess=value)
    if value is None:
        row["properties"]["properties"].pop("remoteLoginPortPublicAccess")
    finding = _112(inst)["gpu-cluster"]
    assert finding.status is Status.FAIL
    assert finding.path == "properties.properties.remoteLoginPortPublicAccess"
    assert "NotSpecified" in finding.remediation and "Disabled" in finding.remediation


@pytest.mark.parametrize("value", ["Disabled", "disabled", "DISABLED"])
def test_disabled_in_any_case_passes(value: str) -> None:
    inst = _custom()
    _cluster(inst, remoteLoginPortPublicAccess=value)
    assert _112(inst)["gpu-cluster"].status is Status.PASS


def test_a_compute_instance_needs_no_remote_login_setting() -> None:
    inst = _custom()
    row = compute(inst, "ci-two", "ComputeInstance")
    row["properties"]["computeType"] = "computeinstance"  # types compare case-insensitively
    inst.extra.append(row)
    assert _112(inst)["ci-two"].status is Status.PASS


def test_a_public_ip_keeps_the_recreate_fix() -> None:
    inst = _custom()
    _cluster(inst, enableNodePublicIp=True, remoteLoginPortPublicAccess="Enabled")
    finding = _112(inst)["gpu-cluster"]
    assert finding.status is Status.FAIL
    assert finding.remediation.startswith("Recreate compute gpu-cluster")


def _elsewhere(inst: Instance) -> None:
    _cluster(inst, subnet={"id": OTHER_VNET + "/subnets/snet-train"})


def test_a_compute_in_another_vnet_fails_by_default() -> None:
    inst = _custom()
    _elsewhere(inst)
    assert _112(inst)["gpu-cluster"].status is Status.FAIL


@pytest.mark.parametrize("spelled", [OTHER_VNET, OTHER_VNET.upper(), OTHER_VNET.lower()])
def test_allowed_compute_vnets_accepts_a_vnet_in_any_case(spelled: str) -> None:
    inst = _custom()
    _elsewhere(inst)
    params = {"AMLG-112": {"allowed_compute_vnets": [spelled]}}
    assert _112(inst, params)["gpu-cluster"].status is Status.PASS


def test_allowed_compute_vnets_does_not_excuse_a_public_ip_or_an_open_port() -> None:
    inst = _custom()
    _cluster(
        inst,
        subnet={"id": OTHER_VNET + "/subnets/snet-train"},
        remoteLoginPortPublicAccess="NotSpecified",
    )
    params = {"AMLG-112": {"allowed_compute_vnets": [OTHER_VNET]}}
    assert _112(inst, params)["gpu-cluster"].status is Status.FAIL


def test_another_allowed_vnet_does_not_cover_this_one() -> None:
    inst = _custom()
    _elsewhere(inst)
    params = {"AMLG-112": {"allowed_compute_vnets": [OTHER_VNET + "-2"]}}
    assert _112(inst, params)["gpu-cluster"].status is Status.FAIL


# ---------------------------------------------------------------- the parameter, in the config


def _problems(tmp_path: Path, values: str) -> list[str]:
    path = tmp_path / "amlguard.yaml"
    path.write_text(
        f"parameters:\n  AMLG-112:\n    allowed_compute_vnets: {values}\n", encoding="utf-8"
    )
    try:
        check_against_pack(load_config(path), load_pack([]))
    except ConfigError as exc:
        return list(exc.problems)
    return []


def test_a_malformed_vnet_id_is_a_config_error_naming_it(tmp_path: Path) -> None:
    problems = _problems(tmp_path, f"['{OTHER_VNET}/', vnet-train, '{OTHER_VNET}']")
    assert len(problems) == 2
    assert "item 0" in problems[0] and "is not a virtual network id" in problems[0]
    assert "item 1" in problems[1] and "'vnet-train'" in problems[1]
    assert _problems(tmp_path, f"['{OTHER_VNET.upper()}']") == []


def test_the_cli_exits_2_on_a_malformed_vnet_id(tmp_path: Path) -> None:
    config = tmp_path / "amlguard.yaml"
    config.write_text(
        "parameters:\n  AMLG-112:\n    allowed_compute_vnets: [' vnet-train ']\n",
        encoding="utf-8",
    )
    snap = Path(__file__).resolve().parents[2] / "examples" / "estates" / "compliant.json"
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(snap), "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert "allowed_compute_vnets" in result.output


_NAME = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
    min_size=1,
    max_size=20,
)
_SCHEMA: dict[str, Any] = {}


def _schema() -> Any:
    """The parameter's element schema, read from the pack once."""
    if not _SCHEMA:
        (rule,) = [r for r in pack().rules if r.id == "AMLG-112"]
        (param,) = [p for p in rule.parameters if p.name == "allowed_compute_vnets"]
        _SCHEMA["items"] = param.items
    return _SCHEMA["items"]


@settings(derandomize=True, max_examples=100, deadline=None)
@given(
    sub=_NAME,
    rg=_NAME,
    name=_NAME,
    upper=st.booleans(),
    tail=st.sampled_from(["", "/", " ", "/subnets/x"]),
)
def test_the_item_schema_accepts_exactly_vnet_ids(
    sub: str, rg: str, name: str, upper: bool, tail: str
) -> None:
    """Any casing of a VNet id is accepted; a trailing slash, space or a subnet is not."""
    vnet = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}"
    value = (vnet.upper() if upper else vnet) + tail
    assert bool(item_problems(_schema(), [value])) == bool(tail), value
