"""Run the real ``amlguard`` entry point in a fresh interpreter and report what it loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping

from tests.conftest import ROOT

# Runs the real entry point with argv, then reports the exit code and every loaded module.
_SCRIPT = """
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


def probe(
    args: list[str], prelude: str = "pass", env: Mapping[str, str | None] | None = None
) -> tuple[int, set[str]]:
    """(exit code, every module loaded) of ``amlguard ARGS``; ``env`` adds (or, None, drops) vars."""
    full = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name, value in (env or {}).items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(prelude=prelude), json.dumps(args)],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("PROBE "))
    report = json.loads(line[len("PROBE ") :])
    return report["code"], set(report["modules"])
