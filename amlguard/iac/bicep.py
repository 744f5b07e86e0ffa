"""Bicep files through the Bicep CLI: ``bicep build --stdout`` (``build-params`` for
``.bicepparam``), with a timeout. ``AMLGUARD_BICEP`` names the program (``bicep``, or ``az``
for ``az bicep``); else ``bicep`` on PATH, else ``az``. Without any, the built-in reader
(:mod:`amlguard.iac.bicepread`, the ``bicep`` extra) lowers the file, labelled best effort;
without that either, a Bicep file is an input error (exit 2) that says how to get the CLI or
compile the template yourself. It is never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from amlguard.errors import InputError
from amlguard.iac.jsonpos import JsonDoc, parse_json

TIMEOUT_SECONDS = 120.0

_HOW = (
    "install the Bicep CLI (https://learn.microsoft.com/azure/azure-resource-manager/bicep/"
    "install: 'az bicep install' or the standalone binary) and put it on PATH or name it in "
    "AMLGUARD_BICEP, or compile the template yourself ('bicep build main.bicep' gives "
    "main.json) and pass the JSON to --template; or install amlguard with its bicep extra "
    "(amlguard[bicep]) for the built-in reader (best effort)"
)


def find_cli() -> list[str] | None:
    """The command prefix that runs Bicep (``[bicep]`` or ``[az, bicep]``), or None."""
    named = os.environ.get("AMLGUARD_BICEP", "").strip()
    if named:
        exe = shutil.which(named) or (named if Path(named).is_file() else None)
        if exe is None:
            raise InputError(f"AMLGUARD_BICEP={named!r}: no such program")
        return [exe, "bicep"] if Path(named).stem.lower() == "az" else [exe]
    exe = shutil.which("bicep")
    if exe:
        return [exe]
    az = shutil.which("az")
    return [az, "bicep"] if az else None


def _run(args: list[str], path: Path) -> str:
    cli = find_cli()
    if cli is None:
        raise InputError(f"{path}: a Bicep file needs the Bicep CLI, which was not found: {_HOW}")
    is_az = len(cli) == 2
    command = [*cli, args[0], *(["--file"] if is_az else []), str(path), "--stdout"]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"{path}: '{' '.join(command[:2])} {args[0]}' did not finish in {TIMEOUT_SECONDS:.0f} s"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot run {command[0]}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        # Bicep's diagnostics are 'file(line,col) : Error BCPxxx: text': pass them on as they are.
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()][:20]
        raise InputError(f"{path}: bicep {args[0]} failed:\n" + "\n".join(lines))
    return done.stdout


def uses_builtin() -> bool:
    """True when no Bicep CLI is found and the built-in reader (the bicep extra) is there."""
    if find_cli() is not None:
        return False
    from amlguard.iac import bicepread

    return bicepread.available()


def build(path: Path) -> JsonDoc:
    """A ``.bicep`` file compiled to an ARM template (positions are in the compiled JSON);
    without the CLI, lowered by the built-in reader (best effort, positions in the Bicep)."""
    if not path.exists():
        raise InputError(f"{path}: template not found")
    if uses_builtin():
        from amlguard.iac.bicepfile import lower_file

        return lower_file(path)
    doc = parse_json(_run(["build"], path), f"{path} (compiled)")
    doc.source = str(path)
    return doc


def build_params(path: Path) -> JsonDoc:
    """A ``.bicepparam`` file as an ARM parameter file."""
    if not path.exists():
        raise InputError(f"{path}: parameter file not found")
    if uses_builtin():
        from amlguard.iac.bicepparams import read_params

        return read_params(path)
    out = _run(["build-params"], path)
    try:
        wrapped = json.loads(out)
    except json.JSONDecodeError:
        wrapped = None
    if isinstance(wrapped, dict) and isinstance(wrapped.get("parametersJson"), str):
        return parse_json(wrapped["parametersJson"], f"{path} (compiled)")
    return parse_json(out, f"{path} (compiled)")
