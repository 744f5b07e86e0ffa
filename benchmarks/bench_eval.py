"""The evaluation phase alone: ``Engine.run`` over a snapshot's instances, CPU and findings.

    python3 benchmarks/bench_eval.py benchmarks/out/estate-1000-s20261126.json --runs 5
    python3 benchmarks/bench_eval.py FILE --order instance   # one instance at a time (before)
    python3 benchmarks/bench_eval.py FILE --digest            # sha256 of every finding's repr

Each run is a fresh interpreter (the snapshot loaded, the inventory and instances built, then
the rules ``check`` runs by default judged serially, the cyclic GC off as ``check`` has it):
what is timed is ``Engine.run`` alone, in CPU time (``time.process_time``), so other processes
on a shared machine disturb it less than wall time. The minimum of the runs is reported.
``--order instance`` judges the same rules with ``Engine.run([instance])`` instance by
instance, as ``Engine.run`` did up to session 7: the same findings, another memory order.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def once(path: Path, order: str, all_rules: bool) -> dict[str, Any]:
    """One in-process evaluation (called in a fresh subprocess by :func:`main`)."""
    gc.disable()
    from amlguard.scanner.engine import Engine, EngineOptions
    from amlguard.scanner.instances import build_instances
    from amlguard.scanner.inventory import Inventory
    from amlguard.scanner.outbound_children import folded_inventory
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of, select_rules
    from amlguard.scanner.sources.snapshot import SnapshotSource

    pack = load_pack()
    rules = list(pack.rules) if all_rules else select_rules(pack)
    collected = SnapshotSource([path]).collect(needs_of(rules))
    inventory = folded_inventory(Inventory(collected.rows))
    instances = build_instances(inventory, instance_settings(pack, ScanOptions()))
    engine = Engine(inventory, rules, EngineOptions(gaps=tuple(collected.info.gaps)))
    began = time.process_time()
    if order == "instance":
        findings = [f for instance in instances for f in engine.run([instance])]
    else:
        findings = engine.run(instances)
    cpu = time.process_time() - began
    digest = hashlib.sha256()
    for finding in findings:
        digest.update(repr(finding).encode("utf-8") + b"\n")
    return {"cpu_s": cpu, "findings": len(findings), "sha256": digest.hexdigest()}


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation ``--runs`` times in fresh interpreters and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--order", choices=["rule", "instance"], default="rule")
    parser.add_argument("--all-rules", action="store_true", help="every rule of the pack")
    parser.add_argument("--digest", action="store_true", help="one run; print the digest")
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.once:
        print(json.dumps(once(args.snapshot, args.order, args.all_rules)))
        return 0
    runs = 1 if args.digest else max(1, args.runs)
    samples = []
    for _ in range(runs):
        argv_once = [sys.executable, str(Path(__file__).resolve()), str(args.snapshot), "--once"]
        argv_once += ["--order", args.order] + (["--all-rules"] if args.all_rules else [])
        done = subprocess.run(argv_once, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        samples.append(json.loads(done.stdout))
    cpus = [round(s["cpu_s"] * 1000) for s in samples]
    print(
        f"{args.snapshot.name}: order {args.order}, {samples[0]['findings']:,} findings, "
        f"evaluation CPU min {min(cpus):,} ms (runs {cpus}), sha256 {samples[0]['sha256'][:16]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
