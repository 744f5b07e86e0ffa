"""Ctrl-C while applying: exit 130, the actions already applied listed, no traceback."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from tests.conftest import EXAMPLES
from tests.emulator import arg, network
from tests.emulator.server import Emulator, Request, Response
from tests.remediate.conftest import drifted_rows

DRIFTED = str(EXAMPLES / "drifted.json")


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_stop_during_apply_exits_130_or_143_with_what_was_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int, code: int, word: str
) -> None:
    """SIGTERM (a CI job cancelled) is 143 and says so, not Ctrl-C's 130 (redteam10b #3)."""
    from amlguard.cli import _on_sigterm

    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    runner.invoke(cli, ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(plan_file)])
    actions = json.loads(plan_file.read_text())["actions"]
    last = actions[-1]
    assert last["operation"] == "provision-managed-network"
    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        arg.install(emu)  # apply re-checks DNS resolution from current data

        @emu.route("POST", r".*/provisionManagedNetwork")
        def interrupt(req: Request, m: re.Match[str]) -> Response:
            os.kill(os.getpid(), signum)  # a real signal, delivered to the main thread
            return emu.lro({"status": "Active", "sparkReady": True}, polls=50)

        monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
        monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
        monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
        monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
        before = signal.signal(signal.SIGTERM, _on_sigterm)  # main() installs it
        try:
            result = runner.invoke(cli, ["apply", str(plan_file), "--yes"])
        finally:
            signal.signal(signal.SIGTERM, before)

    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert f"{word}: {len(actions) - 1} action(s) applied, 1 in flight" in result.output
    for a in actions[:-1]:
        assert f"applied {a['id']}" in result.output
    assert f"in flight {last['id']}" in result.output
