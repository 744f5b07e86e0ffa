"""The real-estate examples give the same findings live (emulator) and from their snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.emulator import arg
from tests.emulator.server import Emulator

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"
ESTATES = [
    "foundry-hub.json",
    "foundry-hub-drifted.json",
    "landing-zone.json",
    "landing-zone-drifted.json",
]


@pytest.fixture(params=ESTATES)
def estate(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    rows, _ = read_snapshot(EXAMPLES / request.param)
    with Emulator(rows) as emu:
        arg.install(emu)
        yield request.param, emu


def test_live_and_snapshot_findings_are_the_same(estate: tuple) -> None:
    name, emu = estate
    runner = CliRunner()
    live_args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
    live = runner.invoke(cli, ["check", "--format", "json", *live_args])
    offline = runner.invoke(cli, ["check", "--format", "json", "--snapshot", str(EXAMPLES / name)])
    assert live.exit_code == offline.exit_code, live.output
    assert json.loads(live.stdout)["findings"] == json.loads(offline.stdout)["findings"]
    assert json.loads(live.stdout)["findings"], "the estate must produce findings"


def test_json_report_lists_a_hubs_projects_and_validates() -> None:
    from jsonschema import Draft202012Validator

    from amlguard.scanner.yamlsource import schema

    out = CliRunner().invoke(
        cli, ["check", "--format", "json", "--snapshot", str(EXAMPLES / "foundry-hub.json")]
    )
    doc = json.loads(out.stdout)
    validator = Draft202012Validator(schema("findings.schema.json"))
    assert [e.message for e in validator.iter_errors(doc)] == []
    (hub,) = doc["instances"]
    assert [p["resourceGroup"] for p in hub["projects"]] == ["ai-foundry-hub", "ai-projects"]
    assert all(p["id"].endswith(p["name"]) for p in hub["projects"])
