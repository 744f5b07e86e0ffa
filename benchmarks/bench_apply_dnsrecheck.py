"""Requests and CPU an apply of the drifted example plan makes, with and without the DNS
re-check. From the repository root: PYTHONPATH=$PWD python benchmarks/bench_apply_dnsrecheck.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import amlguard.remediate.dnsrecheck as rc
from amlguard.cli import cli
from tests.emulator import arg, network
from tests.emulator.server import Emulator
from tests.remediate.conftest import drifted_rows


def run(recheck: bool) -> tuple[int, int, float]:
    d = Path(tempfile.mkdtemp())
    plan = d / "plan.json"
    CliRunner().invoke(
        cli,
        ["check", "--snapshot", "examples/estates/drifted.json", "--fix", "--plan-out", str(plan)],
    )
    mp = pytest.MonkeyPatch()
    if not recheck:
        mp.setattr(rc, "recheck", lambda *a, **k: None)
    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        arg.install(emu)
        for k, v in {
            "AMLGUARD_ARM_ENDPOINT": emu.url,
            "AMLGUARD_CA_BUNDLE": emu.ca_path,
            "AMLGUARD_ACCESS_TOKEN": "t",
            "XDG_STATE_HOME": str(d),
        }.items():
            mp.setenv(k, v)
        t = time.process_time()
        out = CliRunner().invoke(cli, ["apply", str(plan), "--yes"])
        cpu = time.process_time() - t
        assert out.exit_code == 0, out.output
        graph = len([r for r in emu.journal if "ResourceGraph" in r.path])
        gets = len([r for r in emu.journal if r.method == "GET"])
    mp.undo()
    return graph, gets, cpu


for flag in (False, True, False, True):
    print("recheck" if flag else "no recheck", run(flag))
