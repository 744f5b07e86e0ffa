"""Manual commands carry the values amlguard knows; what it cannot know says where to find it."""

from __future__ import annotations

import re
import shlex
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.manual import HINTS, render_manual
from amlguard.scanner.model import Finding, Status
from tests.builders import blueprint
from tests.scanner.harness import scan


def _command(findings: list[Finding], rule_id: str) -> str:
    f = next(f for f in findings if f.rule_id == rule_id and f.status is Status.FAIL)
    return f.remediation.split("\n", 1)[1]


def _drifted() -> tuple[Any, list[Finding]]:
    inst = blueprint()
    ws = inst.workspace["properties"]
    ws["managedNetwork"]["isolationMode"] = "Disabled"
    del ws["managedNetwork"]["outboundRules"]["allowOpenAi"]
    inst.role_assignments = []
    inst.openai["properties"]["publicNetworkAccess"] = "Enabled"
    return inst, scan(inst.rows())


def test_known_values_are_filled_in() -> None:
    inst, findings = _drifted()
    role = _command(findings, "AMLG-106")
    assert f"--assignee-object-id {inst.principal_id}" in role
    assert f"--scope /subscriptions/{inst.sub}/resourceGroups/{inst.rg}" in role
    assert "--role b556d68e-0be0-4f35-a333-ad7ee1ce17ea" in role
    rule = _command(findings, "AMLG-104")
    assert f"--service-resource-id {inst.openai['id']}" in rule
    assert "--subresource-target account" in rule and "--rule pe-blueprint-oai" in rule
    assert "--spark-enabled true" in rule
    for f in findings:
        if f.status is Status.FAIL:
            assert "<" not in f.remediation, (f.rule_id, f.remediation)


def test_isolation_command_sets_the_first_allowed_mode() -> None:
    inst, _ = _drifted()
    strict = scan(
        inst.rows(), parameters={"AMLG-102": {"allowed_modes": ["AllowOnlyApprovedOutbound"]}}
    )
    assert "--managed-network allow_only_approved_outbound" in _command(strict, "AMLG-102")
    _, default = _drifted()
    assert "--managed-network allow_internet_outbound" in _command(default, "AMLG-102")


def test_ai_account_public_access_command_never_sets_a_custom_domain() -> None:
    _, findings = _drifted()
    command = _command(findings, "AMLG-231")
    assert "--public-network-access Disabled" in command
    assert "--custom-domain" not in command


def test_an_unknown_value_stays_a_placeholder_that_says_where_to_find_it() -> None:
    inst = blueprint()
    props = inst.workspace["properties"]
    props.pop("primaryUserAssignedIdentity", None)
    inst.role_assignments = []
    command = _command(scan(inst.rows()), "AMLG-106")
    assert "--assignee-object-id <principal-id>" in command
    assert f"# <principal-id>: {HINTS['<principal-id>']}" in command


def test_one_line_per_distinct_offender_value() -> None:
    inst = blueprint()
    text = render_manual(
        "az role assignment create --scope {offenderScope}",
        {},
        inst,
        [inst.keyvault["id"], inst.registry["id"], inst.storage["id"]],
        {},
    )
    assert text.splitlines() == [
        f"az role assignment create --scope /subscriptions/{inst.sub}/resourceGroups/{inst.rg}"
    ]


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_hostile_values_cannot_break_out_of_their_argument(name: str) -> None:
    text = render_manual("az thing update --name {name} --flag x", {"name": name}, None, [], {})
    first = text.splitlines()[0]
    words = shlex.split(first)
    assert words[:3] == ["az", "thing", "update"] and words[-2:] == ["--flag", "x"]
    assert len(words) == 7
    assert not re.search(r"[\x00-\x1f\x7f]", first)


def test_rule_level_view_fills_parameters_and_names_the_per_finding_fields() -> None:
    from amlguard.scanner.manual import describe_template

    text = describe_template(
        "az x --name {name} --mode {parameters[allowed_modes][0]:snake} --scope {offenderScope}",
        {"allowed_modes": ["AllowOnlyApprovedOutbound"]},
    )
    assert text == "az x --name <name> --mode allow_only_approved_outbound --scope <offender-scope>"


def test_endpoint_commands_create_the_zone_group_with_the_zone_in_the_scan() -> None:
    inst = blueprint()
    inst.remove_endpoint("keyvault")
    commands = _command(scan(inst.rows()), "AMLG-212").splitlines()
    zone = next(z for z in inst.zones.values() if z["name"] == "privatelink.vaultcore.azure.net")
    vnet_rg = inst.vnet["id"].split("/")[4]
    assert commands[0].startswith(
        f"az network private-endpoint create --name {inst.keyvault['name']}"
    )
    assert f"--resource-group {vnet_rg}" in commands[0] and "--group-id vault" in commands[0]
    assert "dns-zone-group create" in commands[1]
    assert f"--private-dns-zone {zone['id']}" in commands[1]
    assert "--zone-name privatelink.vaultcore.azure.net" in commands[1]
    assert not any("<" in c for c in commands)
