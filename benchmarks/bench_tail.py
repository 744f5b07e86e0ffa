"""The check's critical path after the inventory build, phase by phase, load-proof.

Runs the real ``amlguard check --snapshot FILE --format json`` entry point (stdout to
/dev/null) in fresh interpreters with CPU stamps (``RUSAGE_SELF``) at the phase boundaries of
the check process, and ``RUSAGE_CHILDREN`` for the reaped evaluation worker. The *critical
path* is the check process's CPU plus how much longer the worker ran than the check's own
share: the wall time on an idle 2-core machine, a figure other tenants' load inflates little.

    python3 benchmarks/bench_tail.py --sizes 100 1000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_check import _env, estate_file  # noqa: E402


def _cpu(who: int) -> float:
    import resource

    u = resource.getrusage(who)
    return u.ru_utime + u.ru_stime


def probe(path: Path, env_out: str) -> None:
    """In the subprocess: run the CLI with stamps, write them as JSON to ``env_out``."""
    import resource

    sys.argv = ["amlguard", "check", "--snapshot", str(path), "--format", "json"]
    stamps: dict[str, float] = {}

    def stamp(name: str) -> None:
        stamps[name] = _cpu(resource.RUSAGE_SELF)

    from amlguard import app, verdict
    from amlguard.cli import startup
    from amlguard.scanner import parallel, scan

    def wrap(mod: Any, name: str, before: str | None, after: str | None) -> None:
        fn = getattr(mod, name)

        def wrapped(*a: Any, **k: Any) -> Any:
            if before:
                stamp(before)
            out = fn(*a, **k)
            if after:
                stamp(after)
            return out

        setattr(mod, name, wrapped)

    wrap(scan, "build_instances", None, "built")
    wrap(parallel, "run", "eval_start", "eval_end")
    wrap(app, "apply_gates", "gates_start", "gates_end")
    wrap(app, "write_outputs", "render_start", "render_end")
    wrap(verdict, "exit_code", None, None)

    def save() -> None:
        stamp("exit")
        last = parallel.last
        out = {
            **stamps,
            "worker_cpu": _cpu(resource.RUSAGE_CHILDREN),
            "processes": last.processes,
            "reason": last.reason,
            "fallbacks": last.fallbacks,
            "share_costs": getattr(last, "share_costs", []),
            **{
                k: getattr(last, k)
                for k in ("fork_cpu", "own_end_cpu", "waiting_cpu", "joined_cpu")
                if hasattr(last, k)
            },
        }
        with open(env_out, "w") as fh:
            json.dump(out, fh)

    startup.save = save
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    from amlguard.cli import main

    main()


def one(path: Path, env: dict[str, str]) -> dict[str, Any]:
    out = f"/tmp/bench_tail_{os.getpid()}.json"
    argv = [sys.executable, str(Path(__file__).resolve()), "--probe", str(path), out]
    subprocess.run(argv, cwd=ROOT, env={**_env(), **env}, check=False)
    with open(out) as fh:
        r = json.load(fh)
    os.unlink(out)
    fork = r.get("fork_cpu", r["eval_start"])
    own_end = r.get("waiting_cpu") or r.get("own_end_cpu") or r["eval_end"]
    r["wait"] = max(0.0, fork + r["worker_cpu"] - own_end) if r["processes"] > 1 else 0.0
    r["critical"] = r["exit"] + r["wait"]
    if r["processes"] == 2 and "waiting_cpu" in r and len(r["share_costs"]) == 2:
        own, theirs = r["share_costs"]
        # CPU per cost unit: this process (own share + lines ahead), the worker (all of it)
        r["parent_unit"] = (r["waiting_cpu"] - r["fork_cpu"]) / own * 1000
        r["worker_unit"] = r["worker_cpu"] / theirs * 1000
        r["slack"] = r["waiting_cpu"] - r["fork_cpu"] - r["worker_cpu"]
    r["tail_critical"] = r["critical"] - r["built"]
    return r


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--workers", default="")
    p.add_argument("--probe", nargs=2)
    a = p.parse_args()
    if a.probe:
        probe(Path(a.probe[0]), a.probe[1])
        return
    env = {"AMLGUARD_WORKERS": a.workers} if a.workers else {}
    print(f"load {os.getloadavg()}", file=sys.stderr)
    for n in a.sizes:
        path = estate_file(n, 20261126)
        rs = [one(path, env) for _ in range(a.runs)]
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0] if isinstance(rs[0][k], float)}
        keys = [
            "built",
            "eval_start",
            "fork_cpu",
            "own_end_cpu",
            "waiting_cpu",
            "joined_cpu",
            "eval_end",
            "gates_end",
            "render_start",
            "render_end",
            "exit",
            "worker_cpu",
            "wait",
            "critical",
            "tail_critical",
            "slack",
            "parent_unit",
            "worker_unit",
        ]
        print(f"N={n} processes={rs[0]['processes']} {rs[0]['reason']}")
        for k in keys:
            if k in med:
                print(
                    f"  {k:14s} {med[k] * 1000:8.0f} ms   runs: "
                    + " ".join(f"{r[k] * 1000:.0f}" for r in rs if k in r)
                )
    print(f"load {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
