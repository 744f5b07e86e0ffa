"""``reference(vnet).subnets[0].id`` (the common idiom for a NIC or endpoint subnet) gives the
id ARM will give the declared subnet; members nobody declared stay unknowns, never exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
VNET = {
    "type": "Microsoft.Network/virtualNetworks",
    "apiVersion": "2023-09-01",
    "name": "vnet1",
    "location": "westeurope",
    "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [
            {"name": "snet-a", "properties": {"addressPrefix": "10.0.1.0/24"}},
            {"name": "snet-b", "properties": {"addressPrefix": "10.0.2.0/24"}},
        ],
    },
}


def _nic(subnet: str) -> dict:  # type: ignore[type-arg]
    return {
        "type": "Microsoft.Network/networkInterfaces",
        "apiVersion": "2023-09-01",
        "name": "nic1",
        "location": "westeurope",
        "dependsOn": ["vnet1"],
        "properties": {
            "ipConfigurations": [
                {"name": "ip1", "properties": {"subnet": {"id": subnet}}},
            ]
        },
    }


def _rows(tmp_path: Path, subnet: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    template = tmp_path / "main.json"
    template.write_text(
        json.dumps(
            {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": [VNET, _nic(subnet)]}
        )
    )
    out = tmp_path / "rows.json"
    res = CliRunner().invoke(
        cli,
        ["template", "rows", "--template", str(template), "--deployment-location", "westeurope",
         "-o", str(out)],
    )  # fmt: skip
    if res.exit_code != 0:
        return res.exit_code, {"output": res.output}
    return 0, json.loads(out.read_text())


def _subnet_of_nic(doc: dict) -> object:  # type: ignore[type-arg]
    (nic,) = [r for r in doc["data"] if r["type"] == "microsoft.network/networkinterfaces"]
    return nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]


@pytest.mark.parametrize("index,name", [(0, "snet-a"), (1, "snet-b")])
def test_a_declared_subnet_has_the_id_arm_will_give_it(
    tmp_path: Path, index: int, name: str
) -> None:
    code, doc = _rows(tmp_path, f"[reference('vnet1').subnets[{index}].id]")
    assert code == 0, doc
    assert str(_subnet_of_nic(doc)).lower().endswith(f"/virtualnetworks/vnet1/subnets/{name}")


def test_an_undeclared_member_of_a_declared_subnet_is_unknown_not_an_error(tmp_path: Path) -> None:
    code, doc = _rows(tmp_path, "[reference('vnet1').subnets[0].properties.natGateway.id]")
    assert code == 0, doc
    assert doc["unknowns"], doc
