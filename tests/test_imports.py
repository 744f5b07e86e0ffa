"""The check path stays light: azure.ai.ml and azure.mgmt.network load only for remediation."""

from __future__ import annotations

import pytest

from tests.probe import probe

HEAVY = ("azure.ai.ml", "azure.mgmt.network")


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--version"], 0),
        (["--help"], 0),
        (["check", "--snapshot", "examples/estates/drifted.json"], 1),
        (["check", "--snapshot", "examples/estates/drifted.json", "--format", "json"], 1),
        (["policies", "list"], 0),
    ],
    ids=["version", "help", "check", "check-json", "policies-list"],
)
def test_command_never_imports_the_heavy_sdks(args: list[str], code: int) -> None:
    exit_code, modules = probe(args)
    assert exit_code == code
    assert "amlguard.cli" in modules
    assert _heavy(modules) == []


def test_the_probe_would_see_a_heavy_import() -> None:
    # Guards the test above: if the SDK were imported, the probe would report it.
    _, modules = probe(["--version"], prelude="import azure.mgmt.network")
    assert "azure.mgmt.network" in _heavy(modules)
