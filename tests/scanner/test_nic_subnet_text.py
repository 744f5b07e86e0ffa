"""redteam9 item 12: a NIC whose subnet id is text that names no subnet (``""``, garbage, the
VNet's own id) is indexed under no VNet, so with a public IP it cannot be placed: AMLG-302 is
``error`` for the VNets of its subscription (exit 3), as for an unknown subnet id, never a pass.
In-process (property-based over the id text) and through the real CLI."""

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
from amlguard.scanner import ids, nicplaces

DRIFTED = Path(__file__).resolve().parents[2] / "examples" / "estates" / "drifted.json"
SUB = "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
VNET = f"{SUB}/resourceGroups/ml-secure-blueprint/providers/Microsoft.Network/virtualNetworks/v"
NIC_ID = f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n"


def _nic(subnet_id: Any, public: bool = True) -> dict[str, Any]:
    cprops: dict[str, Any] = {"subnet": {"id": subnet_id}}
    if public:
        cprops["publicIPAddress"] = {"id": f"{SUB}/pip"}
    return {"id": NIC_ID, "properties": {"ipConfigurations": [{"properties": cprops}]}}


@pytest.mark.parametrize(
    "text", ["", " ", "garbage", VNET, f"{VNET}/subnets", f"{VNET}/x/a", "garbage/subnets/a"]
)
def test_text_that_names_no_subnet_cannot_be_placed(text: str) -> None:
    assert not nicplaces._placed(_nic(text))
    found = nicplaces._unplaced(_nic(text))
    assert found is not None
    assert "names no subnet" in str(found[2])
    assert nicplaces._unplaced(_nic(text, public=False)) is None  # no public IP: nothing to say


def test_a_subnet_id_is_placed() -> None:
    assert nicplaces._placed(_nic(f"{VNET}/subnets/a"))
    assert nicplaces._unplaced(_nic(f"{VNET.upper()}/SUBNETS/a ")) is None


_TEXT = st.one_of(
    st.text(max_size=12),
    st.builds(lambda s: f"{VNET}{s}", st.text(alphabet="/absuntABC ", max_size=14)),
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_TEXT)
def test_unplaced_exactly_when_the_text_names_no_subnet(text: str) -> None:
    named = nicplaces.names_subnet(text)
    if named:  # what inventory._index_nic files the NIC under is a VNet id
        assert ids.parse(ids.vnet_of_subnet(text)).type == "microsoft.network/virtualnetworks"
    assert (nicplaces._unplaced(_nic(text)) is None) is named
    if nicplaces._placed(_nic(text)):
        assert named


@pytest.mark.parametrize(
    "text",
    [
        "x/subnets/a",
        "/subnets/a",
        f"{SUB}/providers/Microsoft.Network/virtualNetworks/v/subnets/a",  # no resource group
        f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/v/subnets/a",
    ],
)
def test_a_subnets_segment_under_no_vnet_names_no_subnet(text: str) -> None:
    assert not nicplaces.names_subnet(text)
    assert nicplaces._unplaced(_nic(text)) is not None


def _snapshot(tmp_path: Path, value: str) -> Path:
    doc = json.loads(DRIFTED.read_text(encoding="utf-8"))
    rows = doc if isinstance(doc, list) else doc["data"]
    for r in rows:
        if r["type"].lower() == "microsoft.network/networkinterfaces" and "jumphost" in r["name"]:
            for c in r["properties"]["ipConfigurations"]:
                c["properties"]["subnet"]["id"] = value
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _run(snapshot: Path) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["check", "--snapshot", str(snapshot), "--rule", "AMLG-302"])
    return res.exit_code, " ".join((res.stdout + res.stderr).split())


@pytest.mark.parametrize("value", ["", "garbage", "VNET"])
def test_the_cli_cannot_judge_a_vnet_beside_a_nic_with_a_malformed_subnet(
    tmp_path: Path, value: str
) -> None:
    text = value
    if value == "VNET":
        text = f"{SUB}/resourceGroups/ml-secure-blueprint/providers/Microsoft.Network/virtualNetworks/blueprint-dev-vnet"
    code, out = _run(_snapshot(tmp_path, text))
    assert code == EXIT_INCOMPLETE, out
    assert "blueprint-dev-jumphost-nic may be in VNet blueprint-dev-vnet with a public IP" in out
    assert "names no subnet" in out


def test_the_cli_still_fails_a_placed_nic(tmp_path: Path) -> None:
    assert _run(DRIFTED)[0] == EXIT_FINDINGS
