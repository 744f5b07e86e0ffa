"""The check path stays light: azure.ai.ml and azure.mgmt.network load only for remediation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = ("azure.ai.ml", "azure.mgmt.network")

# Runs the real entry point with argv, then reports the exit code and every loaded module.
_PROBE = """
import json, os, sys
sys.argv = ["amlguard", *json.loads(sys.argv[1])]
code = 0


def _exit(status):  # main() ends a check with os._exit; turn it back into SystemExit here
    raise SystemExit(status)


os._exit = _exit
try:
    {prelude}
    from amlguard.cli import main
    main()
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\nPROBE " + json.dumps({{"code": code, "modules": sorted(sys.modules)}}) + "\\n")
"""


def _probe(args: list[str], prelude: str = "pass") -> tuple[int, set[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(prelude=prelude), json.dumps(args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("PROBE "))
    report = json.loads(line[len("PROBE ") :])
    return report["code"], set(report["modules"])


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
    exit_code, modules = _probe(args)
    assert exit_code == code
    assert "amlguard.cli" in modules
    assert _heavy(modules) == []


def test_the_probe_would_see_a_heavy_import() -> None:
    # Guards the test above: if the SDK were imported, the probe would report it.
    _, modules = _probe(["--version"], prelude="import azure.mgmt.network")
    assert "azure.mgmt.network" in _heavy(modules)
