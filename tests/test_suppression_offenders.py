"""A suppression of a finding that names offenders (redteam6 item 3).

Per-VNet and per-workspace rules (AMLG-302's NICs with public addresses, AMLG-110's broad
outbound rules, ...) report one finding naming many items. A suppression accepts such a finding
only when it lists the offenders it accepts (``offenders:``) and the finding names no other: a
second NIC given a public address, or a ``*`` rule added next to an accepted one, fails the gate
again, with a warning saying what is new. One without ``offenders:`` suppresses nothing there.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Finding, Severity, Status
from amlguard.suppressions import Suppression, apply_suppressions
from tests.conftest import EXAMPLES

VNET = (
    "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint"
    "/providers/Microsoft.Network/virtualNetworks/blueprint-dev-vnet"
)
NIC = "blueprint-dev-jumphost-nic"


def _estate(tmp_path: Path, second_nic: bool) -> Path:
    doc = json.loads((EXAMPLES / "drifted.json").read_text())
    if second_nic:
        nic = next(r for r in doc["data"] if r["name"] == NIC)
        extra = copy.deepcopy(nic)
        extra["id"] = nic["id"].replace(NIC, "training-vm-nic")
        extra["name"] = "training-vm-nic"
        doc["data"].append(extra)
        doc["count"] = len(doc["data"])
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc))
    return path


def _config(tmp_path: Path, offenders: list[str] | None) -> Path:
    entry: dict[str, Any] = {
        "rule": "AMLG-302",
        "resource": VNET,
        "reason": "jumphost keeps its public IP until the Bastion migration (CHG-1234)",
        "expires": "2099-12-31",
    }
    if offenders is not None:
        entry["offenders"] = offenders
    path = tmp_path / "amlguard.yaml"
    path.write_text(json.dumps({"version": 1, "allow_permanent_suppressions": True,
                                "suppressions": [entry]}))  # fmt: skip
    return path


def _check(estate: Path, config: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        cli,
        ["check", "--snapshot", str(estate), "--config", str(config), "--rule", "AMLG-302",
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code in (EXIT_OK, EXIT_FINDINGS), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    "listed",
    [
        [NIC],
        [NIC.upper()],
        [f"{VNET.rsplit('/providers/', 1)[0]}/providers/Microsoft.Network/networkInterfaces/{NIC}"],
    ],
)
def test_listed_offenders_are_suppressed(tmp_path: Path, listed: list[str]) -> None:
    code, report = _check(_estate(tmp_path, False), _config(tmp_path, listed))
    assert code == EXIT_OK
    (finding,) = report["findings"]
    assert finding["status"] == "suppressed"
    assert finding["suppression"]["offenders"] == listed


def test_a_new_offender_fails_the_gate_naming_it(tmp_path: Path) -> None:
    code, report = _check(_estate(tmp_path, True), _config(tmp_path, [NIC]))
    assert code == EXIT_FINDINGS
    (finding,) = report["findings"]
    assert finding["status"] == "fail"
    assert any("training-vm-nic" in w and "does not accept" in w for w in report["warnings"])


def test_without_offenders_a_suppression_does_not_hide_an_aggregate_failure(tmp_path: Path) -> None:
    code, report = _check(_estate(tmp_path, False), _config(tmp_path, None))
    assert code == EXIT_FINDINGS
    assert report["findings"][0]["status"] == "fail"
    assert any("does not list the offenders" in w and NIC in w for w in report["warnings"])


@pytest.mark.parametrize("bad", [[], "nic", [""], [3]])
def test_malformed_offenders_are_a_config_error(tmp_path: Path, bad: Any) -> None:
    config = _config(tmp_path, None)
    doc = json.loads(config.read_text())
    doc["suppressions"][0]["offenders"] = bad
    config.write_text(json.dumps(doc))
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(EXAMPLES / "drifted.json"),
                                      "--config", str(config)])  # fmt: skip
    if bad == []:  # an empty list accepts no offender: valid, and suppresses nothing here
        assert result.exit_code == EXIT_FINDINGS, result.output
    else:
        assert result.exit_code == EXIT_USAGE, result.output
        assert "offenders" in result.output


def _finding(offenders: tuple[Any, ...]) -> Finding:
    return Finding(
        rule_id="AMLG-302", rule_name="n", severity=Severity.HIGH, status=Status.FAIL,
        resource_id=VNET, resource_type="microsoft.network/virtualnetworks",
        instance="i", message="m", offenders=offenders,
    )  # fmt: skip


NAMES = st.text(alphabet="abcXYZ-_ ()*.", min_size=1, max_size=8)


@settings(derandomize=True, max_examples=80, deadline=None)
@given(st.lists(NAMES, max_size=4), st.lists(NAMES, max_size=4))
def test_suppressed_exactly_when_every_offender_is_listed(
    named: list[str], listed: list[str]
) -> None:
    s = Suppression("AMLG-302", VNET, "r", offenders=tuple(listed))
    out = apply_suppressions([_finding(tuple(named))], [s], dt.date(2026, 12, 7)).findings[0]
    accepted = {x.strip().lower() for x in listed}
    # a failure naming none is not what a suppression listing some accepted (redteam9 item 6)
    expected = bool(named or not listed) and all(n.strip().lower() in accepted for n in named)
    assert (out.status is Status.SUPPRESSED) is expected


# ---- a name pin cannot accept another resource of that name (redteam7 item 2)

GROUP = VNET.rsplit("/providers/", 1)[0]
OTHER_GROUP = GROUP.replace("ml-secure-blueprint", "rg-training")


def _nic_id(group: str, name: str = NIC) -> str:
    return f"{group}/providers/Microsoft.Network/networkInterfaces/{name}"


def _same_name_elsewhere(tmp_path: Path) -> Path:
    doc = json.loads((EXAMPLES / "drifted.json").read_text())
    nic = next(r for r in doc["data"] if r["name"] == NIC)
    extra = copy.deepcopy(nic)
    extra["id"] = _nic_id(OTHER_GROUP)
    extra["resourceGroup"] = "rg-training"
    doc["data"].append(extra)
    doc["count"] = len(doc["data"])
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_same_named_nic_from_another_group_is_new(tmp_path: Path) -> None:
    code, report = _check(_same_name_elsewhere(tmp_path), _config(tmp_path, [NIC]))
    assert code == EXIT_FINDINGS
    assert report["findings"][0]["status"] == "fail"
    (warning,) = [w for w in report["warnings"] if "does not accept" in w]
    assert "list it by id" in warning and _nic_id(OTHER_GROUP) in warning


def test_both_listed_by_id_are_suppressed(tmp_path: Path) -> None:
    listed = [_nic_id(GROUP), _nic_id(OTHER_GROUP).upper()]
    code, report = _check(_same_name_elsewhere(tmp_path), _config(tmp_path, listed))
    assert code == EXIT_OK
    assert report["findings"][0]["status"] == "suppressed"


GROUPS = st.sampled_from([GROUP, OTHER_GROUP, GROUP.upper()])
NIC_NAMES = st.sampled_from(["nic-a", "NIC-A", "nic-b", "nic-c"])


def _storage_id(group: str, name: str) -> str:
    return f"{group}/providers/Microsoft.Storage/storageAccounts/{name}"


def _inventory(offenders: tuple[str, ...], others: tuple[str, ...]) -> Inventory:
    rows = [{"id": i, "type": i.split("/providers/")[1].rsplit("/", 1)[0]} for i in offenders]
    rows += [{"id": i, "type": "Microsoft.Storage/storageAccounts"} for i in others]
    return Inventory(rows)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(GROUPS, NIC_NAMES), max_size=4),
    st.lists(st.one_of(NIC_NAMES, st.tuples(GROUPS, NIC_NAMES)), max_size=4),
    st.lists(st.tuples(GROUPS, NIC_NAMES), max_size=2),
)
def test_a_name_pin_accepts_only_an_unambiguous_resource_of_the_findings_group(
    named: list[tuple[str, str]], listed: list[Any], storage: list[tuple[str, str]]
) -> None:
    offenders = tuple(_nic_id(g, n) for g, n in named)
    others = tuple(_storage_id(g, n) for g, n in storage)
    pins = tuple(x if isinstance(x, str) else _nic_id(*x) for x in listed)
    s = Suppression("AMLG-302", VNET, "r", offenders=pins)
    today = dt.date(2026, 12, 7)
    inventory = _inventory(offenders, others)
    out = apply_suppressions([_finding(offenders)], [s], today, inventory=inventory).findings[0]
    blind = apply_suppressions([_finding(offenders)], [s], today).findings[0]
    pinned = {p.lower() for p in pins}
    names = [n.lower() for _, n in named]
    # another resource (of another type) of the finding's group carrying the same name
    shared = {n.lower() for g, n in storage if g.lower() == GROUP.lower()}

    def accepted(group: str, name: str, by_name: bool = True) -> bool:
        if _nic_id(group, name).lower() in pinned:
            return True
        return (
            by_name and name.lower() in pinned and names.count(name.lower()) == 1
            and group.lower() == GROUP.lower() and name.lower() not in shared
        )  # fmt: skip

    some = bool(named or not pins)  # none named where some are listed: not accepted
    assert (out.status is Status.SUPPRESSED) is (some and all(accepted(g, n) for g, n in named))
    # without the scan's resources a name cannot be told from another type's: ids only
    blind_ok = some and all(accepted(g, n, False) for g, n in named)
    assert (blind.status is Status.SUPPRESSED) is blind_ok


def test_a_name_shared_with_another_type_in_the_group_is_not_accepted(tmp_path: Path) -> None:
    """redteam8 item 2: a storage account carrying the accepted registry's name is new."""
    doc = json.loads((EXAMPLES / "drifted.json").read_text())
    nic = next(r for r in doc["data"] if r["name"] == NIC)
    twin = {
        "id": nic["id"].replace("Microsoft.Network/networkInterfaces", "Microsoft.Compute/disks"),
        "name": NIC,
        "type": "Microsoft.Compute/disks",
        "resourceGroup": nic["resourceGroup"],
        "subscriptionId": nic["subscriptionId"],
        "properties": {},
    }
    doc["data"].append(twin)
    doc["count"] = len(doc["data"])
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc))
    code, report = _check(path, _config(tmp_path, [NIC]))
    assert code == EXIT_FINDINGS
    assert report["findings"][0]["status"] == "fail"
    (warning,) = [w for w in report["warnings"] if "does not accept" in w]
    assert "no other resource of that group" in warning and nic["id"] in warning
    # listed by id it is accepted: the disk is not an offender
    code, report = _check(path, _config(tmp_path, [nic["id"]]))
    assert code == EXIT_OK and report["findings"][0]["status"] == "suppressed"
