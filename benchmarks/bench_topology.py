"""Issue 12's topology benchmark in one command: ``amlguard check --format json`` on the
``generate.py --dns hub`` estate (spokes resolving the connectivity subscription's central
zones by a link, the Private Resolver's inbound endpoint or a forwarding ruleset, in turn;
every tenth instance an AI Foundry hub with 10 projects) against a bare ``json.load``.

Wall time, the target's measure (BENCHMARKS.md: meaningful on a quiet machine only), and CPU
time (user + sys of each process and the children it reaped, from ``wait4``; in-process phases
by ``time.process_time`` with GC off, serial), which a shared machine scatters less. Prints, per
N, the whole-process wall ratio (target <= 2.5), the CPU ratio, and each phase's CPU per
instance (linear in N: the per-instance figures stay flat).

    python3 benchmarks/bench_topology.py                       # N = 1,000 and 3,000
    python3 benchmarks/bench_topology.py --sizes 200 1000 --runs 3 --default
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
TOPOLOGY = ("--dns", "hub")  # resolver + ruleset + link designs, hubs with 10 projects
TARGET_RATIO = 2.5


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.pop("AMLGUARD_DEBUG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode compiled once, as installed
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    env["XDG_CACHE_HOME"] = str(OUT / "cache")  # a private warm rule-pack cache
    return env


def estate(n: int, seed: int, topology: tuple[str, ...]) -> Path:
    """The estate file (generated once under benchmarks/out/, same name as bench_check's)."""
    tag = "".join(f"-{a.lstrip('-')}" for a in topology)
    path = OUT / f"estate-{n}-s{seed}{tag}.json"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "-n", str(n)]
        argv += ["--seed", str(seed), "-o", str(path), *topology]
        subprocess.run(argv, check=True, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL)
    return path


def cpu_of(argv: list[str]) -> tuple[float, float]:
    """User + system CPU seconds of one process and its reaped children, and its wall
    seconds (stdout discarded)."""
    began = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: findings
        raise SystemExit(f"{argv} exited {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime, wall


def phases(path: Path) -> dict[str, Any]:
    """One in-process run (in a fresh interpreter): CPU seconds per phase, GC off."""
    gc.disable()
    from amlguard.reports import registry
    from amlguard.reports.interface import ReportOptions
    from amlguard.scanner.engine import Engine, EngineOptions
    from amlguard.scanner.instances import build_instances
    from amlguard.scanner.inventory import Inventory
    from amlguard.scanner.model import ScanResult
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of, select_rules
    from amlguard.scanner.sources.snapshot import SnapshotSource

    pack = load_pack()
    rules = select_rules(pack)
    t0 = time.process_time()
    collected = SnapshotSource([path]).collect(needs_of(rules))
    t1 = time.process_time()
    inventory = Inventory(collected.rows)
    instances = build_instances(inventory, instance_settings(pack, ScanOptions()))
    t2 = time.process_time()
    findings = Engine(inventory, rules, EngineOptions()).run(instances)
    t3 = time.process_time()
    result = ScanResult(findings, collected.info, pack.version, pack.digest, "", instances, rules)
    registry.get("json").render(result, ReportOptions())
    t4 = time.process_time()
    return {
        "load": t1 - t0,
        "build": t2 - t1,
        "evaluate": t3 - t2,
        "render": t4 - t3,
        "instances": len(instances),
        "findings": len(findings),
        "rows": len(collected.rows),
    }


def measure(n: int, seed: int, topology: tuple[str, ...], runs: int) -> dict[str, Any]:
    """Whole-process CPU (median of ``runs``, interleaved) and in-process phases (min)."""
    path = estate(n, seed, topology)
    check = [sys.executable, "-m", "amlguard", "check", "--snapshot", str(path)]
    check += ["--format", "json"]
    bare = [sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"]
    cpu_of(check)  # warm-up: bytecode and the rule-pack cache
    checks, bares, samples = [], [], []
    for _ in range(runs):
        checks.append(cpu_of(check))
        bares.append(cpu_of(bare))
        me = [sys.executable, str(Path(__file__).resolve()), "--phases-of", str(path)]
        done = subprocess.run(me, cwd=ROOT, env=_env(), capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(done.stderr)
        samples.append(json.loads(done.stdout))
    best = {k: min(s[k] for s in samples) for k in ("load", "build", "evaluate", "render")}
    return {
        "n": n,
        "layout": " ".join(topology) or "default",
        "rows": samples[0]["rows"],
        "findings": samples[0]["findings"],
        "check_cpu": statistics.median(c for c, _ in checks),
        "bare_cpu": statistics.median(c for c, _ in bares),
        "ratio": statistics.median(c for c, _ in checks) / statistics.median(c for c, _ in bares),
        "check_wall": statistics.median(w for _, w in checks),
        "bare_wall": statistics.median(w for _, w in bares),
        "wall_ratio": statistics.median(w for _, w in checks)
        / statistics.median(w for _, w in bares),
        "phases": best,
    }


def report(results: list[dict[str, Any]]) -> str:
    """A markdown table: one column per (layout, N)."""
    cols = [f"{r['layout']} N = {r['n']:,}" for r in results]
    lines = ["| | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("rows / findings", [f"{r['rows']:,} / {r['findings']:,}" for r in results])
    row("`check` CPU (median)", [f"{r['check_cpu'] * 1000:,.0f} ms" for r in results])
    row("bare `json.load` CPU (median)", [f"{r['bare_cpu'] * 1000:,.0f} ms" for r in results])
    row("`check` wall (median)", [f"{r['check_wall'] * 1000:,.0f} ms" for r in results])
    row("bare `json.load` wall (median)", [f"{r['bare_wall'] * 1000:,.0f} ms" for r in results])
    row(
        f"**wall ratio** (target <= {TARGET_RATIO})",
        [f"**{r['wall_ratio']:.2f}**" for r in results],
    )
    row("CPU ratio (every process's CPU)", [f"{r['ratio']:.2f}" for r in results])
    for phase in ("load", "build", "evaluate", "render"):
        row(
            f"{phase}: CPU (min), per instance",
            [
                f"{r['phases'][phase] * 1000:,.0f} ms, {r['phases'][phase] / r['n'] * 1e3:.3f} ms"
                for r in results
            ],
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, with ``--phases-of FILE``, one in-process phase run)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per size")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--default", action="store_true", help="the default estate too")
    parser.add_argument("--phases-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phases_of:
        print(json.dumps(phases(args.phases_of)))
        return
    layouts: list[tuple[str, ...]] = [TOPOLOGY] + ([()] if args.default else [])
    results = [measure(n, args.seed, t, args.runs) for n in args.sizes for t in layouts]
    print(report(results))


if __name__ == "__main__":
    main()
