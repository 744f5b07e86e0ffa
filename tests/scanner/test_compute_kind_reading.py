"""redteam9 item 3: AMLG-112 reads a compute's kind the one way the ``computes`` selector does
(``computeKind()``: stripped, case-insensitive), so a padded ``"AmlCompute "`` cluster is still
judged on its SSH port; and ``enableNodePublicIp`` of another JSON type than boolean is
``error`` (``typed()``), never compliant. In-process, through the real CLI, and property-based
over the value read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE
from amlguard.scanner.model import Status
from tests.builders import Instance, blueprint, compute, customer_vnet
from tests.scanner.harness import of_rule, scan

Row = dict[str, Any]


def _estate(kind: Any = "AmlCompute", **props: Any) -> Instance:
    inst = customer_vnet(blueprint())
    inst.workspace.setdefault("tags", {})["amlguard-network-isolation"] = "custom"
    row = compute(inst, "gpu-cluster", public_ip=False)
    row["properties"]["computeType"] = kind
    row["properties"]["properties"].update({"remoteLoginPortPublicAccess": "Disabled", **props})
    inst.extra.append(row)
    return inst


def _status(inst: Instance) -> tuple[Status, str]:
    findings = of_rule(scan(inst.rows(), rule_ids=["AMLG-112"]), "AMLG-112")
    (f,) = [f for f in findings if f.resource_id.endswith("/gpu-cluster")]
    return f.status, f.message


@pytest.mark.parametrize("kind", ["AmlCompute ", " amlcompute", "AMLCOMPUTE\t", "\nAmlCompute"])
def test_a_padded_cluster_kind_is_judged_on_its_ssh_port(kind: str) -> None:
    status, message = _status(_estate(kind, remoteLoginPortPublicAccess="Enabled"))
    assert status is Status.FAIL
    assert "remoteLoginPortPublicAccess is Enabled" in message
    assert _status(_estate(kind))[0] is Status.PASS


@pytest.mark.parametrize("kind", ["ComputeInstance", " computeinstance "])
def test_a_compute_instance_has_no_ssh_port_property(kind: str) -> None:
    assert _status(_estate(kind, remoteLoginPortPublicAccess="Enabled"))[0] is Status.PASS


@pytest.mark.parametrize("value", ["false", 0, "0", [], {}, 0.0, "False"])
def test_enable_node_public_ip_of_another_type_cannot_be_judged(value: Any) -> None:
    status, message = _status(_estate(enableNodePublicIp=value))
    assert status is Status.ERROR
    assert "properties.properties.enableNodePublicIp of" in message
    assert "expected a boolean" in message


def test_enable_node_public_ip_true_or_absent_still_fails() -> None:
    assert _status(_estate(enableNodePublicIp=True))[0] is Status.FAIL
    inst = _estate()
    del inst.extra[-1]["properties"]["properties"]["enableNodePublicIp"]
    assert _status(inst)[0] is Status.FAIL


_values = st.one_of(
    st.booleans(),
    st.integers(-2, 2),
    st.floats(allow_nan=False, width=16),
    st.text(max_size=6),
    st.none(),
    st.lists(st.booleans(), max_size=2),
)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(_values, st.sampled_from(["AmlCompute", "AmlCompute ", " AMLCOMPUTE", "ComputeInstance"]))
def test_a_cluster_passes_only_with_the_boolean_false(value: Any, kind: str) -> None:
    status, _ = _status(_estate(kind, enableNodePublicIp=value))
    if value is False:
        assert status is Status.PASS
    elif isinstance(value, bool) or value is None:
        assert status is Status.FAIL  # true, or absent (ARM's default is a public IP)
    else:
        assert status is Status.ERROR


def _cli(tmp_path: Path, inst: Instance) -> tuple[int, str]:
    rows = inst.rows()
    path = tmp_path / "snap.json"
    path.write_text(json.dumps({"count": len(rows), "data": rows}), encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", "--snapshot", str(path), "--rule", "AMLG-112"])
    return res.exit_code, res.stdout + res.stderr


def test_the_cli_fails_a_padded_cluster_with_an_open_ssh_port(tmp_path: Path) -> None:
    code, out = _cli(tmp_path, _estate("AmlCompute ", remoteLoginPortPublicAccess="Enabled"))
    assert code == EXIT_FINDINGS, out
    assert "FAIL AMLG-112" in out


def test_the_cli_is_incomplete_on_a_string_enable_node_public_ip(tmp_path: Path) -> None:
    code, out = _cli(tmp_path, _estate(enableNodePublicIp="false"))
    assert code == EXIT_INCOMPLETE, out
    assert "expected a boolean" in " ".join(out.split())
