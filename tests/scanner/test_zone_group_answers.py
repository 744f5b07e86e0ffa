"""Issue 11 item 12: a zone-group list that answers anything but an ARM list is a gap (exit 3).

Through the CLI against the local emulator: ``{"value": "nope"}``, ``404``, ``{}``,
``{"value": null}`` and a non-JSON body once read as "no zone groups", which failed the DNS
rules on a wrong premise or, worse, hid what was there.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_INCOMPLETE
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.emulator import arg
from tests.emulator.server import Emulator, Fault

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"value": "nope"}),
        (404, {"error": {"code": "NotFound", "message": "gone"}}),
        (200, {}),
        (200, {"value": None}),
        (200, {"value": [1, 2]}),
        (200, "<html>not json</html>"),
    ],
    ids=["value-string", "404", "empty-object", "value-null", "value-not-objects", "not-json"],
)
def test_a_zone_group_answer_that_is_not_a_list_is_a_gap(
    monkeypatch: pytest.MonkeyPatch, status: int, body: Any
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    rows, _ = read_snapshot(EXAMPLES / "compliant.json")
    with Emulator(rows) as emu:
        arg.install(emu)
        emu.add_fault(Fault("GET", r"/privateDnsZoneGroups$", status, body=body, times=1000))
        result = CliRunner().invoke(
            cli,
            [
                "check",
                "--format",
                "json",
                "--arm-endpoint",
                emu.url,
                "--ca-bundle",
                emu.ca_path,
                "--quiet",
            ],
        )
    assert result.exit_code == EXIT_INCOMPLETE, result.output
    doc = json.loads(result.stdout)
    assert doc["source"]["complete"] is False
    assert any("private DNS zone groups" in g["reason"] for g in doc["source"]["gaps"])


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"value": "nope"}),
        (200, {}),
        (200, {"value": [1, 2]}),
        (200, ["a", "list"]),
        (200, "<html>not json</html>"),
        (403, {"error": {"code": "AuthorizationFailed", "message": "no"}}),
    ],
    ids=["value-string", "empty-object", "value-not-objects", "top-level-list", "not-json", "403"],
)
def test_a_workspace_connections_answer_that_is_not_a_list_is_a_gap(
    monkeypatch: pytest.MonkeyPatch, status: int, body: Any
) -> None:
    """The child lists (connections, computes, ruleset links and rules) share one reader: a
    hostile answer is a gap naming the workspace, never a traceback or "no connections"."""
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    rows, _ = read_snapshot(EXAMPLES / "compliant.json")
    with Emulator(rows) as emu:
        arg.install(emu)
        emu.add_fault(Fault("GET", r"/workspaces/[^/]+/connections$", status, body=body, times=9))
        result = CliRunner().invoke(
            cli,
            ["check", "-f", "json", "--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "-q"],
        )
    assert result.exit_code == EXIT_INCOMPLETE, result.output
    gaps = json.loads(result.stdout)["source"]["gaps"]
    assert any("workspace connections" in g["reason"] for g in gaps), gaps
    assert TOKEN not in result.output
