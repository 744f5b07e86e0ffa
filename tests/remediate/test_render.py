"""The plan reads like ``terraform plan``: a block per action, plain text, data neutralised."""

from __future__ import annotations

from dataclasses import replace
from io import StringIO

from rich.console import Console

from amlguard.remediate.plan import Plan
from amlguard.remediate.remediators.access import access_action
from amlguard.remediate.remediators.roles import DEFAULT_ROLE, role_action
from amlguard.remediate.render import plan_text, print_plan

WS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
ST = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"


def _plan() -> Plan:
    role = replace(
        role_action(WS, "/subscriptions/s/resourceGroups/rg", DEFAULT_ROLE, "p-1", ("AMLG-106",)),
        id="A001",
    )
    cut = replace(
        access_action(WS, ST, "Enabled", ("AMLG-201",), "public-network-access"),
        id="A002",
        depends_on=("A001",),
    )
    return Plan([role, cut])


def test_one_block_per_action_with_changes_flags_and_call_on_their_own_lines() -> None:
    blocks = [b for b in plan_text(_plan()).split("\n\n") if b.strip()]
    assert len(blocks) == 2
    role, cut = (b.splitlines() for b in blocks)
    assert role[0].startswith("# A001  Assign role Azure AI Enterprise Network Connection")
    assert f"({DEFAULT_ROLE})" in role[0]  # the role by name and id
    assert any(line.startswith("  + role assignment ") for line in role)
    assert cut[0] == "# A002  Disable public network access on st"
    assert '  ~ properties.publicNetworkAccess: "Enabled" -> "Disabled"' in cut
    assert "  ! cuts public access" in cut
    assert "  after A001" in cut
    assert f"  PATCH {ST}?api-version=2023-05-01" in cut
    assert cut[-1] == '  body {"properties": {"publicNetworkAccess": "Disabled"}}'


def test_a_log_file_gets_plain_lines_and_hostile_text_is_neutralised() -> None:
    plan = _plan()
    hostile = replace(plan.actions[1], summary="Disable [bold]x[/bold] \x1b[2J\x1b]8;;evil\x07")
    out = StringIO()
    print_plan(Plan([plan.actions[0], hostile]), Console(file=out, width=80))
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    assert "[bold]x[/bold]" in text  # shown as written, not interpreted
    assert "Plan: 2 action(s)" in text


def test_plain_text_has_no_markup_escapes_and_no_control_characters() -> None:
    plan = _plan()
    odd = replace(plan.actions[1], summary="Disable [x] \x1b[31mred")
    text = plan_text(Plan([odd]))
    assert "# A002  Disable [x] \\x1b[31mred" in text
