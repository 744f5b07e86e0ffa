"""A resource's private endpoint connections are read strictly (redteam6 item 4): a list,
connection, connection state or status of another shape cannot be judged, so AMLG-240 (and every
rule that joins connections to endpoints) is ``error`` and the scan exits 3, never a pass."""

from __future__ import annotations

import copy
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
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.scanner.harness import of_rule, scan

VAULT = "microsoft.keyvault/vaults"


def _rows() -> list[dict[str, Any]]:
    rows, _ = read_snapshot(EXAMPLES / "drifted.json")
    return rows


def _vault(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in rows if r["type"] == VAULT)


def _240(rows: list[dict[str, Any]]) -> set[Status]:
    """AMLG-240's statuses on the vault (the rule judges every linked resource)."""
    found = of_rule(scan(rows, rule_ids=["AMLG-240"]), "AMLG-240")
    return {f.status for f in found if "blueprint-dev-kv" in f.resource_id}


def _mutate(change: Any) -> list[dict[str, Any]]:
    rows = _rows()
    props = _vault(rows)["properties"]
    change(props, props["privateEndpointConnections"])
    return rows


def test_the_pending_connection_fails_as_exported() -> None:
    assert Status.FAIL in _240(_rows())


SHAPES = {
    "object-by-index": lambda p, c: p.update(privateEndpointConnections=dict(enumerate(c))),
    "value-wrapper": lambda p, c: p.update(privateEndpointConnections={"value": c}),
    "json-text": lambda p, c: p.update(privateEndpointConnections=json.dumps(c)),
    "single-object": lambda p, c: p.update(privateEndpointConnections=c[1]),
    "state-string": lambda p, c: c[1]["properties"].update(privateLinkServiceConnectionState="Pending"),
    "status-list": lambda p, c: c[1]["properties"]["privateLinkServiceConnectionState"].update(status=["Pending"]),
    "properties-list": lambda p, c: c[1].update(properties=[c[1]["properties"]]),
    "connection-string": lambda p, c: c.__setitem__(1, "managed-vnet-kv Pending"),
}  # fmt: skip


@pytest.mark.parametrize("change", SHAPES.values(), ids=SHAPES.keys())
def test_malformed_connections_are_error_not_pass(change: Any) -> None:
    found = _240(_mutate(change))
    assert Status.PASS not in found and Status.ERROR in found, found


def test_cli_exits_3_naming_the_vault_and_path(tmp_path: Path) -> None:
    rows = _mutate(SHAPES["value-wrapper"])
    path = tmp_path / "estate.json"
    path.write_text(json.dumps({"count": len(rows), "data": rows}))
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(path), "--rule", "AMLG-240", "--format", "json"]
    )
    assert result.exit_code == EXIT_INCOMPLETE, result.output
    (finding,) = [
        f for f in json.loads(result.stdout)["findings"] if "blueprint-dev-kv" in f["resource_id"]
    ]
    assert finding["status"] == "error"
    assert "privateEndpointConnections" in finding["message"]


def test_absent_connections_still_judge_normally(tmp_path: Path) -> None:
    rows = _mutate(lambda p, c: p.pop("privateEndpointConnections"))
    path = tmp_path / "estate.json"
    path.write_text(json.dumps({"count": len(rows), "data": rows}))
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(path), "--rule", "AMLG-240"])
    assert result.exit_code in (0, EXIT_FINDINGS), result.output


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


@settings(derandomize=True, max_examples=60, deadline=None)
@given(VALUES)
def test_any_replacement_of_the_pending_state_never_passes_silently(value: Any) -> None:
    """Whatever replaces the Pending connection's state, AMLG-240 on the vault either still
    fails, cannot be judged, or passes only for a well-formed non-pending status."""
    rows = _rows()
    conn = copy.deepcopy(_vault(rows)["properties"]["privateEndpointConnections"][1])
    conn["properties"]["privateLinkServiceConnectionState"] = value
    _vault(rows)["properties"]["privateEndpointConnections"][1] = conn
    findings = [
        f
        for f in of_rule(scan(rows, rule_ids=["AMLG-240"]), "AMLG-240")
        if "blueprint-dev-kv" in f.resource_id
    ]
    (finding,) = findings
    well_formed_not_pending = (
        value is None
        or (isinstance(value, dict) and not any(k.lower() == "status" for k in value))
        or (
            isinstance(value, dict)
            and all(
                isinstance(v, str) or v is None for k, v in value.items() if k.lower() == "status"
            )
            and all(str(v).lower() != "pending" for k, v in value.items() if k.lower() == "status")
        )
    )
    if finding.status is Status.PASS:
        assert well_formed_not_pending, (value, finding.message)
