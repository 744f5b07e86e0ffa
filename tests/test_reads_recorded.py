"""What a live scan reads is decided by every selected rule and the scan's own settings, and an
``amlguard snapshot`` records it (redteam9 REPORT #2, #4, #5), through the real CLI and Azure SDK
clients against the local emulator:

- one rule narrowed to one role's assignments no longer narrows the read for a rule that needs
  every role (#2); a snapshot read for one role is refused by a check that needs them all;
- the integration selector's types (a Cosmos DB account) are read live and by ``snapshot`` when
  rules read integrated resources (#4); a snapshot taken under a narrower selector is refused;
- the computes of every workspace without a managed network are listed whatever
  ``network_isolation`` says (#5), so a snapshot taken under ``managed`` holds what a check
  under ``custom`` judges, and an older snapshot that does not say so is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from tests.builders import Instance, blueprint, compute, customer_vnet, rid, row
from tests.emulator import arg, network
from tests.emulator.server import Emulator

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
COSMOS = "microsoft.documentdb/databaseaccounts"

# RT-001 reads one role's assignments; RT-002 reads every role's (no role filter).
POLICIES = f"""apiVersion: amlguard/v1
kind: Rules
rules:
  - id: RT-001
    name: identity-not-owner
    severity: low
    title: The workspace identity holds no Owner role on the workspace
    description: Reads the assignments of one role.
    target: workspace
    parameters:
      role_definition_id: {{type: string, default: {OWNER}, description: Owner}}
    condition:
      count:
        related: roleAssignments
        with:
          principal: "[instance().principalId]"
          scope: "[instance().id]"
          role: "[parameters('role_definition_id')]"
      equals: 0
    message: Workspace {{name}}'s identity holds Owner.
    remediation: {{summary: Remove it.}}
  - id: RT-002
    name: identity-no-grants-on-storage
    severity: high
    title: The workspace identity holds no role at all on the workspace storage account
    description: Reads the assignments of every role.
    target: {{select: associated, roles: [storageAccount]}}
    condition:
      count:
        related: roleAssignments
        with:
          principal: "[instance().principalId]"
          scope: "[field('id')]"
      equals: 0
    message: The workspace identity holds a role on {{name}}.
    remediation: {{summary: Remove it.}}
"""


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    yield


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def _emulated(rows: list[dict[str, Any]]) -> Emulator:
    emu = Emulator(rows)
    network.install(emu)
    arg.install(emu)
    return emu


def _live(emu: Emulator, *args: str) -> Any:
    return _run(*args, "--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet")


def _findings(result: Any, rule: str) -> list[dict[str, Any]]:
    return [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == rule]


def _header(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text())["amlguard_snapshot"])


# ---------------------------------------------------------------- REPORT #2: every role


def test_a_rule_narrowed_to_one_role_does_not_narrow_the_read_of_another(
    tmp_path: Path, token: None
) -> None:
    policies = tmp_path / "pol"
    policies.mkdir()
    (policies / "rt.yaml").write_text(POLICIES)
    pol = ["--policies", str(policies)]
    with _emulated(blueprint().rows()) as emu:
        alone = _live(emu, "check", "-f", "json", "--rule", "RT-002", *pol)
        both = _live(emu, "check", "-f", "json", "--rule", "RT-002", "--rule", "RT-001", *pol)
        # AMLG-106 judges roles by what they grant: the approver's assignment must be read
        approver = _live(emu, "check", "-f", "json", "--rule", "AMLG-106", "--rule", "RT-001", *pol)
        snap = tmp_path / "owner.json"
        taken = _live(emu, "snapshot", "-o", str(snap), "--rule", "RT-001", *pol)
        every = tmp_path / "every.json"
        taken_all = _live(emu, "snapshot", "-o", str(every), "--rule", "RT-002", *pol)
    assert alone.exit_code == EXIT_FINDINGS, alone.output
    assert both.exit_code == EXIT_FINDINGS, both.output  # was exit 0 (all pass)
    assert [f["status"] for f in _findings(both, "RT-002")] == ["fail"]
    assert {f["status"] for f in _findings(approver, "AMLG-106")} == {"pass"}, approver.output
    assert taken.exit_code == taken_all.exit_code == EXIT_OK, taken.output + taken_all.output
    assert _header(snap)["read_for"]["role_definition_ids"] == [OWNER]
    assert _header(every)["read_for"]["role_definition_ids"] == "all"
    refused = _run("check", "--snapshot", str(snap), "--rule", "RT-002", *pol)
    assert refused.exit_code == EXIT_USAGE, refused.output
    assert "role assignments of every role" in refused.stderr and "RT-002" in refused.stderr
    # a snapshot of every role serves a check of one role, and fails as live
    judged = _run("check", "--snapshot", str(every), "--rule", "RT-002", "--rule", "RT-001", *pol)
    assert judged.exit_code == EXIT_FINDINGS, judged.output


# ---------------------------------------------------------------- REPORT #4: the selector


def _with_cosmos() -> list[dict[str, Any]]:
    inst = blueprint()
    ws = inst.workspace
    sub, rg = ws["subscriptionId"], ws["resourceGroup"]
    cosmos = row(
        rid(sub, rg, "Microsoft.DocumentDB/databaseAccounts", "blueprint-cosmos"),
        COSMOS,
        properties={"publicNetworkAccess": "Enabled"},
        kind="GlobalDocumentDB",
    )
    return [*inst.rows(), cosmos]


def _selector_config(tmp_path: Path, cosmos: bool) -> Path:
    types = "[microsoft.cognitiveservices/accounts" + (f", {COSMOS}]" if cosmos else "]")
    kinds = "[OpenAI, AIServices" + (", GlobalDocumentDB]" if cosmos else "]")
    path = tmp_path / ("cosmos.yaml" if cosmos else "plain.yaml")
    path.write_text(f"integration_selector:\n  types: {types}\n  kinds: {kinds}\n")
    return path


def test_the_selectors_types_are_read_live_and_recorded(tmp_path: Path, token: None) -> None:
    wide, narrow = _selector_config(tmp_path, True), _selector_config(tmp_path, False)
    with _emulated(_with_cosmos()) as emu:
        live = _live(emu, "check", "-f", "json", "--rule", "AMLG-104", "--config", str(wide))
        snap_wide, snap_narrow = tmp_path / "wide.json", tmp_path / "narrow.json"
        for path, config in ((snap_wide, wide), (snap_narrow, narrow)):
            res = _live(
                emu, "snapshot", "-o", str(path), "--rule", "AMLG-104", "--config", str(config)
            )
            assert res.exit_code == EXIT_OK, res.output
    assert live.exit_code == EXIT_FINDINGS, live.output  # was exit 0: Cosmos DB never read
    (f,) = _findings(live, "AMLG-104")
    assert f["status"] == "fail" and "blueprint-cosmos" in f["message"]
    recorded = _header(snap_wide)["read_for"]
    assert COSMOS in recorded["types"]
    assert COSMOS in recorded["integration_selector"]["types"]
    assert any(r["type"] == COSMOS for r in json.loads(snap_wide.read_text())["data"])
    judged = _run(
        "check", "--snapshot", str(snap_wide), "--rule", "AMLG-104", "--config", str(wide)
    )
    assert judged.exit_code == EXIT_FINDINGS, judged.output
    refused = _run(
        "check", "--snapshot", str(snap_narrow), "--rule", "AMLG-104", "--config", str(wide)
    )
    assert refused.exit_code == EXIT_USAGE, refused.output
    assert COSMOS in refused.stderr and "Traceback" not in refused.output


# ---------------------------------------------------------------- REPORT #5: computes


def _customer_vnet(tagged: str | None = None) -> Instance:
    inst = customer_vnet(blueprint())
    inst.extra.append(compute(inst, "gpu-cluster", public_ip=True))
    if tagged:
        inst.workspace["tags"] = {"amlguard-network-isolation": tagged}
    return inst


def test_computes_are_listed_whatever_network_isolation_says(tmp_path: Path, token: None) -> None:
    custom = tmp_path / "custom.yaml"
    custom.write_text("network_isolation: custom\n")
    snap = tmp_path / "managed.json"
    with _emulated(_customer_vnet().rows()) as emu:
        taken = _live(emu, "snapshot", "-o", str(snap), "--rule", "AMLG-112")  # default: managed
    assert taken.exit_code == EXIT_OK, taken.output
    assert _header(snap)["read_for"]["computes_of"] == "unmanaged"
    res = _run(
        "check",
        "--snapshot",
        str(snap),
        "--rule",
        "AMLG-112",
        "--config",
        str(custom),
        "-f",
        "json",
    )
    assert res.exit_code == EXIT_FINDINGS, res.output  # was exit 0: no compute was listed
    assert "gpu-cluster" in {
        f["resource_id"].rsplit("/", 1)[-1] for f in _findings(res, "AMLG-112")
    }
    # the same file written before the record (no computes_of): whose computes it listed is
    # unknown, so a check that judges computes refuses it; one that judges none accepts it
    doc = json.loads(snap.read_text())
    del doc["amlguard_snapshot"]["read_for"]["computes_of"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    refused = _run("check", "--snapshot", str(old), "--rule", "AMLG-112", "--config", str(custom))
    assert refused.exit_code == EXIT_USAGE, refused.output
    assert "computes of every workspace without a managed network" in refused.stderr
    assert _run("check", "--snapshot", str(old), "--rule", "AMLG-101").exit_code == EXIT_OK


def test_a_managed_tag_does_not_hide_computes_from_an_auditor_fixed_custom(
    tmp_path: Path, token: None
) -> None:
    """The audited team's tag says managed; the auditor's config fixes custom, which wins in
    the judgement: the computes must have been listed too (they were not: exit 0)."""
    custom = tmp_path / "custom.yaml"
    custom.write_text("network_isolation: custom\n")
    with _emulated(_customer_vnet(tagged="managed").rows()) as emu:
        res = _live(emu, "check", "-f", "json", "--rule", "AMLG-112", "--config", str(custom))
    assert res.exit_code == EXIT_FINDINGS, res.output
    assert {f["status"] for f in _findings(res, "AMLG-112")} >= {"fail"}


def test_a_subscription_wide_selector_reads_its_subscription_under_a_group_filter(
    tmp_path: Path, token: None
) -> None:
    """``scope: subscription`` picks in the workspace's subscription: under ``-g`` the selector's
    types are read there too, not only in the filtered resource group."""
    inst = blueprint()
    ws = inst.workspace
    cosmos = row(
        rid(ws["subscriptionId"], "rg-data", "Microsoft.DocumentDB/databaseAccounts", "far-cosmos"),
        COSMOS,
        properties={"publicNetworkAccess": "Enabled"},
        kind="GlobalDocumentDB",
    )
    config = tmp_path / "sub.yaml"
    config.write_text(
        f"integration_selector:\n  types: [{COSMOS}]\n  kinds: [GlobalDocumentDB]\n"
        "  scope: subscription\n"
    )
    group = ["-g", str(ws["resourceGroup"]), "--config", str(config), "--rule", "AMLG-104"]
    with _emulated([*inst.rows(), cosmos]) as emu:
        live = _live(emu, "check", "-f", "json", *group)
    assert live.exit_code == EXIT_FINDINGS, live.output
    (f,) = _findings(live, "AMLG-104")
    assert f["status"] == "fail" and "far-cosmos" in f["message"]


def test_a_snapshot_records_the_solution_subnet_it_was_read_for(
    tmp_path: Path, token: None
) -> None:
    inst = blueprint()
    own, other = tmp_path / "own.yaml", tmp_path / "other.yaml"
    own.write_text(f"solution_subnet: {inst.subnet_id}\n")
    other.write_text(f"solution_subnet: {inst.subnet_id}-b\n")
    snap = tmp_path / "s.json"
    with _emulated(inst.rows()) as emu:
        taken = _live(emu, "snapshot", "-o", str(snap), "--rule", "AMLG-302", "--config", str(own))
    assert taken.exit_code == EXIT_OK, taken.output
    assert _header(snap)["read_for"]["solution_subnet"] == inst.subnet_id.lower()
    same = _run("check", "--snapshot", str(snap), "--rule", "AMLG-302", "--config", str(own))
    assert same.exit_code == EXIT_OK, same.output
    for config in (other, None):
        given = ["--config", str(config)] if config else []
        res = _run("check", "--snapshot", str(snap), "--rule", "AMLG-302", *given)
        assert res.exit_code == EXIT_USAGE, res.output
        assert "solution subnet" in res.stderr
