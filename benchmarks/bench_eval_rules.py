"""The evaluation phase of ``amlguard check``, rule by rule (in-process, one core).

    python3 benchmarks/bench_eval_rules.py FILE                  # CPU per rule, in run order
    python3 benchmarks/bench_eval_rules.py FILE --runs 5         # min of 5 fresh interpreters
    python3 benchmarks/bench_eval_rules.py FILE --profile 40     # cProfile, top 40 by tottime
    python3 benchmarks/bench_eval_rules.py FILE --no-eval        # load + build only (for
                                                                   cachegrind: eval = with - without)
    python3 benchmarks/bench_eval_rules.py FILE --digest         # sha256 of every finding's repr

The rules are those ``check`` runs by default (``scan.select_rules``); the GC is off as in
``check``. A rule's CPU is what its ``Engine._evaluate_rule`` call took over all instances, in the
engine's order: the first rule to ask a lazily built index pays for it.
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


def _wrap_sources(spent: dict[str, float], current: list[str]) -> None:
    """Time every related source and target selector, per (rule, name)."""
    import functools

    from amlguard.scanner.conditions import RELATED
    from amlguard.scanner.targets import SELECTORS

    clock = time.process_time
    for kind, registry in (("related", RELATED), ("select", SELECTORS)):
        for name in registry.names():
            impl = registry.get(name)
            if impl is None:
                continue

            def timed(*a: Any, _impl: Any = impl, _key: str = f"{kind} {name}", **k: Any) -> Any:
                t = clock()
                try:
                    return _impl(*a, **k)
                finally:
                    key = f"{current[0]} {_key}"
                    spent[key] = spent.get(key, 0.0) + clock() - t

            entry = registry.entry(name)
            if entry is not None:
                registry._loaded[entry.name] = functools.wraps(impl)(timed)


def once(
    path: Path,
    evaluate: bool = True,
    only: str | None = None,
    sources: bool = False,
    warm: bool = False,
    plain: bool = False,
) -> dict[str, Any]:
    """Load, build and evaluate once; CPU seconds per rule id and in total."""
    gc.disable()
    spent: dict[str, float] = {}
    current = [""]
    if sources:
        from amlguard.scanner import primitives  # noqa: F401  (registers the sources)
        from amlguard.scanner.rules import load_pack as _load

        _load()
        _wrap_sources(spent, current)
    from amlguard.scanner.engine import Engine, EngineOptions
    from amlguard.scanner.instances import build_instances
    from amlguard.scanner.inventory import Inventory
    from amlguard.scanner.outbound_children import folded_inventory
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of, select_rules
    from amlguard.scanner.sources.snapshot import SnapshotSource

    pack = load_pack()
    rules = select_rules(pack)
    if only:
        rules = [r for r in rules if r.id.upper() == only.upper()]
    rows = SnapshotSource([path]).collect(needs_of(rules)).rows
    inventory = folded_inventory(Inventory(rows))
    instances = build_instances(inventory, instance_settings(pack, ScanOptions()))
    if not evaluate:
        return {}
    engine = Engine(inventory, rules, EngineOptions())
    if plain:  # no timers (for instruction counts)
        return {"findings": len(engine.run(instances))}
    per_rule: dict[str, float] = {p.rule.id: 0.0 for p in engine._plans}
    inner = engine._evaluate_rule
    clock = time.process_time

    def timed(plan: Any, pairs: Any) -> Any:
        current[0] = plan.rule.id
        t = clock()
        out = inner(plan, pairs)
        per_rule[plan.rule.id] += clock() - t
        return out

    engine._evaluate_rule = timed  # type: ignore[method-assign]
    if warm:  # a first run fills the lazily built indexes; the second is timed
        engine.run(instances)
        engine = Engine(inventory, rules, EngineOptions())
        inner = engine._evaluate_rule
        engine._evaluate_rule = timed  # type: ignore[method-assign]
        for k in per_rule:
            per_rule[k] = 0.0
        spent.clear()
    t0 = clock()
    findings = engine.run(instances)
    total = clock() - t0
    return {"total": total, "rules": per_rule, "findings": len(findings), "sources": spent}


def digest(path: Path) -> str:
    """sha256 over the repr of every finding of every rule of the pack, in order."""
    from amlguard.scanner.engine import Engine, EngineOptions
    from amlguard.scanner.instances import build_instances
    from amlguard.scanner.inventory import Inventory
    from amlguard.scanner.outbound_children import folded_inventory
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of
    from amlguard.scanner.sources.snapshot import SnapshotSource

    pack = load_pack()
    collected = SnapshotSource([path]).collect(needs_of(pack.rules))
    inventory = folded_inventory(Inventory(collected.rows))
    instances = build_instances(inventory, instance_settings(pack, ScanOptions()))
    h = hashlib.sha256()
    n = 0
    options = EngineOptions(gaps=tuple(collected.info.gaps))
    for f in Engine(inventory, pack.rules, options).run(instances):
        h.update(repr(f).encode())
        n += 1
    return f"{h.hexdigest()} {n}"


def main(argv: list[str] | None = None) -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--rule")
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--no-eval", action="store_true")
    parser.add_argument("--digest", action="store_true")
    parser.add_argument("--sources", action="store_true", help="CPU per (rule, source)")
    parser.add_argument("--warm", action="store_true", help="time a second run")
    parser.add_argument("--plain", action="store_true", help="evaluate without timers")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.digest:
        print(digest(args.file))
        return
    if args.no_eval or args.plain:
        once(args.file, evaluate=not args.no_eval, plain=True)
        return
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        once(args.file, only=args.rule)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
        return
    if args.json:
        print(json.dumps(once(args.file, only=args.rule, sources=args.sources, warm=args.warm)))
        return
    runs = []
    for _ in range(args.runs):
        cmd = [sys.executable, __file__, str(args.file), "--json"]
        if args.sources:
            cmd.append("--sources")
        if args.warm:
            cmd.append("--warm")
        if args.rule:
            cmd += ["--rule", args.rule]
        runs.append(json.loads(subprocess.run(cmd, check=True, capture_output=True).stdout))
    best = {k: min(r["rules"][k] for r in runs) for k in runs[0]["rules"]}
    total = min(r["total"] for r in runs)
    print(
        f"evaluation CPU (min of {len(runs)}): {total * 1000:.0f} ms, "
        f"{runs[0]['findings']} findings"
    )
    for rid, s in sorted(best.items(), key=lambda kv: -kv[1]):
        print(f"  {rid:10s} {s * 1000:8.1f} ms")
    if args.sources:
        spent = {k: min(r["sources"].get(k, 0.0) for r in runs) for k in runs[0]["sources"]}
        print("inside related sources and selectors (per rule, in run order):")
        for key, s in sorted(spent.items(), key=lambda kv: -kv[1])[:40]:
            print(f"  {key:50s} {s * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
