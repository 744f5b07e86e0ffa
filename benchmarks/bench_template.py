"""The issue-15 benchmark: checking templates before deployment, amlguard against checkov.

For each real template folder of ``tests/iac/data`` it times, as whole processes (median of
``--runs``, stdout to /dev/null):

- amlguard: ``python -m amlguard check --template FOLDER [--parameters FILE] --format json``
  when this checkout's ``check`` has ``--template``; until then the same pipeline through a
  small driver (``TemplateSource`` -> ``run_scan`` of the built-in pack -> JSON findings),
  which is what ``check --template`` runs;
- checkov: ``checkov -d FOLDER --framework arm bicep -o json --skip-download`` from its own
  virtual environment (``--checkov PATH``; default ``/tmp/iac-bench-venv/bin/checkov``; it is
  not a product dependency: ``python3 -m venv /tmp/iac-bench-venv &&
  /tmp/iac-bench-venv/bin/pip install checkov``).

Target: amlguard at most 0.2x checkov's time on every folder. Prints a markdown table.

    python3 benchmarks/bench_template.py
    python3 benchmarks/bench_template.py --runs 3 --checkov ~/venvs/checkov/bin/checkov
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "iac" / "data"
TARGET = 0.2

# folder, parameter file (None: the folder's <template>.parameters.json sibling, if any)
FOLDERS: list[tuple[str, Path, Path | None] | tuple[str, Path, Path | None, Path]] = [
    ("ai-studio-secure (Azure-Samples)", DATA / "ai-studio-secure", None),
    (
        "avm-ml-workspace (AVM)",
        DATA / "avm-ml-workspace",
        DATA / "own" / "avm-ml-workspace.parameters.json",
    ),
    ("blueprint (own)", DATA / "own" / "blueprint", None),
    # the same sample read from its Bicep sources: the Bicep CLI when it is on PATH (or in
    # AMLGUARD_BICEP), else the built-in reader (the bicep extra); checkov reads the folder
    (
        "ai-studio-secure, main.bicep + main.bicepparam",
        DATA / "ai-studio-secure",
        DATA / "ai-studio-secure" / "main.bicepparam",
        DATA / "ai-studio-secure" / "main.bicep",
    ),
]

DRIVER = """
import json, sys
from pathlib import Path
from amlguard.scanner.rules import load_pack
from amlguard.iac.source import TemplateSource
from amlguard.scanner.scan import ScanOptions, run_scan, select_rules
params = [Path(p) for p in sys.argv[2:]]
pack = load_pack()
result = run_scan(TemplateSource([Path(sys.argv[1])], params), pack, select_rules(pack), ScanOptions())
sys.stdout.write(json.dumps([f.to_dict() for f in result.findings], default=str))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["NO_COLOR"] = "1"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(ROOT / "benchmarks" / "out" / "pycache")
    return env


def _has_template_flag() -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "amlguard", "check", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    return "--template" in done.stdout


def amlguard_command(folder: Path, params: Path | None, wired: bool) -> list[str]:
    """The amlguard process for one folder."""
    extra = [str(params)] if params else []
    if wired:
        flags = ["--parameters", str(params)] if params else []
        return [
            sys.executable,
            "-m",
            "amlguard",
            "check",
            "--template",
            str(folder),
            *flags,
            "--format",
            "json",
        ]
    return [sys.executable, "-c", DRIVER, str(folder), *extra]


def timed(command: list[str], runs: int, ok_codes: tuple[int, ...]) -> float:
    """Median wall time of ``runs`` processes (after one warm-up run)."""
    times = []
    for i in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(), check=False
        )
        elapsed = time.perf_counter() - started
        if done.returncode not in ok_codes:
            raise SystemExit(f"{command[:4]}... exited {done.returncode}: {done.stderr[-500:]!r}")
        if i:
            times.append(elapsed)
    return statistics.median(times)


def main() -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checkov", default="/tmp/iac-bench-venv/bin/checkov")
    args = parser.parse_args()
    checkov = Path(args.checkov)
    wired = _has_template_flag()
    print(
        f"amlguard via {'check --template' if wired else 'the TemplateSource driver'}; "
        f"checkov {'at ' + str(checkov) if checkov.exists() else 'NOT INSTALLED'}; "
        f"median of {args.runs}\n"
    )
    print("| folder | amlguard | checkov | ratio |")
    print("|---|---:|---:|---:|")
    worst = 0.0
    for label, folder, params, *template in FOLDERS:
        command = amlguard_command(template[0] if template else folder, params, wired)
        ours = timed(command, args.runs, (0, 1, 3))
        if checkov.exists():
            theirs = timed(
                [
                    str(checkov),
                    "-d",
                    str(folder),
                    "--framework",
                    "arm",
                    "bicep",
                    "-o",
                    "json",
                    "--skip-download",
                ],
                args.runs,
                (0, 1),
            )
            ratio = ours / theirs
            worst = max(worst, ratio)
            print(f"| {label} | {ours:.2f} s | {theirs:.2f} s | {ratio:.2f}x |")
        else:
            print(f"| {label} | {ours:.2f} s | - | - |")
    if checkov.exists():
        verdict = "met" if worst <= TARGET else "NOT met"
        print(f"\nworst ratio {worst:.2f}x; target <= {TARGET}x {verdict}")


if __name__ == "__main__":
    main()
