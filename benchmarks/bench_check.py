"""The issue-2 benchmark: ``amlguard check --snapshot FILE --format json`` on synthetic estates.

For each N (default 100, 1,000 and 3,000 blueprint instances) it generates the estate with
``benchmarks/generate.py`` (cached under ``benchmarks/out/``), then reports:

- in-process phases (each the median of ``--phase-runs`` fresh subprocesses): rule-pack load,
  snapshot load, inventory + instances build, evaluation, JSON rendering, findings per second
  of evaluation;
- the whole process: ``python -m amlguard check --snapshot FILE --format json`` with stdout to
  /dev/null (median of ``--runs``), against a bare ``python -c "import json;
  json.load(open(FILE))"`` on the same file (median of ``--runs``), and their ratio, in wall
  and in CPU time; the same check forced serial (``AMLGUARD_WORKERS=1``) beside it. The CPU
  time of a process comes from ``wait4``, which counts the worker processes it reaped (the
  parallel evaluation's, ``amlguard/scanner/parallel.py``), so it is the whole tree's;
- how many processes judged the rules (the phase run's ``parallel.last``: this process and
  its workers, or why it stayed serial), and the evaluation's CPU in this process and in the
  workers;
- peak memory (max RSS, from ``wait4``) of both processes;
- linearity: milliseconds per instance of the scan phases and of the whole process.

Prints a markdown table (and writes it with the raw figures to ``benchmarks/out/results.*``).
Target on the 2-core reference machine: ratio <= 2.5 and time linear in N.

    python3 benchmarks/bench_check.py                 # N = 100, 1000, 3000
    python3 benchmarks/bench_check.py --sizes 100 --runs 3
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
TARGET_RATIO = 2.5


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)  # this checkout's amlguard, not an installed one
    env.pop("AMLGUARD_DEBUG", None)
    env["NO_COLOR"] = "1"
    # Measure what an installed package does: bytecode compiled once and reused. (This machine
    # sets PYTHONDONTWRITEBYTECODE, which would recompile amlguard in every process.)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    # Likewise amlguard's warm cache of the parsed rule pack (parsecache): a private one, as an
    # installed user has. The shared ~/.cache file of a machine where other checkouts' test
    # suites write it too loses entries, and a check that misses re-parses the YAML (~0.1 s).
    env["XDG_CACHE_HOME"] = str(OUT / "cache")
    return env


def estate_file(n: int, seed: int, topology: tuple[str, ...] = ()) -> Path:
    """The estate of ``n`` instances, generated once and cached (same seed, same bytes).

    ``topology`` is extra ``generate.py`` arguments (``--dns hub``, ``--share registry``...).
    """
    tag = "".join(f"-{a.lstrip('-')}" for a in topology)
    path = OUT / f"estate-{n}-s{seed}{tag}.json"
    if not path.exists():
        script = str(ROOT / "benchmarks" / "generate.py")
        subprocess.run(
            [sys.executable, script, "-n", str(n), "--seed", str(seed), "-o", str(path), *topology],
            check=True,
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.DEVNULL,
        )
    return path


def timed_process(
    argv: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, int, int]:
    """(wall s, CPU s, exit code, max RSS in KiB) of one process, stdout to /dev/null.

    CPU time (user + system) is reported besides wall time because the machine is shared:
    it is the figure other processes disturb least. ``wait4`` counts the CPU of every
    descendant the process reaped too: a check's evaluation workers are in it.
    """
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        proc = subprocess.Popen(argv, cwd=ROOT, env={**_env(), **(env or {})}, stdout=sink)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, code, int(usage.ru_maxrss)


def process_figures(path: Path, runs: int) -> dict[str, Any]:
    """Medians of the whole CLI and of a bare json.load, interleaved so drift hits both."""
    cli = [sys.executable, "-m", "amlguard", "check", "--snapshot", str(path), "--format", "json"]
    bare = [sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"]
    # For reference only (not the target's baseline): how much of the bare load is the
    # cyclic GC, which amlguard check turns off.
    bare_nogc = [
        sys.executable,
        "-c",
        f"import gc, json; gc.disable(); json.load(open({str(path)!r}))",
    ]
    serial = {"AMLGUARD_WORKERS": "1"}  # the same check judged in this process alone
    timed_process(cli)  # warm-up: bytecode cache, page cache
    timed_process(bare)
    cli_times, bare_times, cli_cpu, bare_cpu = [], [], [], []
    serial_times, serial_cpu = [], []
    cli_rss, bare_rss, nogc_times, codes = [], [], [], set()
    for _ in range(runs):
        t, cpu, code, rss = timed_process(cli)
        cli_times.append(t)
        cli_cpu.append(cpu)
        cli_rss.append(rss)
        codes.add(code)
        t, cpu, code, _ = timed_process(cli, serial)
        serial_times.append(t)
        serial_cpu.append(cpu)
        codes.add(code)
        t, cpu, _, rss = timed_process(bare)
        bare_times.append(t)
        bare_cpu.append(cpu)
        bare_rss.append(rss)
        nogc_times.append(timed_process(bare_nogc)[0])
    if not codes <= {0, 1}:
        raise SystemExit(f"amlguard check exited {sorted(codes)} on {path}")
    return {
        "cli_s": statistics.median(cli_times),
        "bare_s": statistics.median(bare_times),
        "bare_nogc_s": statistics.median(nogc_times),
        "cli_cpu_s": statistics.median(cli_cpu),
        "serial_s": statistics.median(serial_times),
        "serial_cpu_s": statistics.median(serial_cpu),
        "bare_cpu_s": statistics.median(bare_cpu),
        "cli_rss_kib": max(cli_rss),
        "bare_rss_kib": max(bare_rss),
        "cli_runs": cli_times,
        "bare_runs": bare_times,
    }


def phases(path: Path, trace: bool = True) -> dict[str, Any]:
    """One in-process run, phase by phase (called in a fresh subprocess by ``phase_figures``)."""
    import resource
    import tracemalloc

    t0 = time.perf_counter()
    from amlguard.reports import registry
    from amlguard.reports.interface import ReportOptions
    from amlguard.scanner import parallel
    from amlguard.scanner.engine import Engine, EngineOptions
    from amlguard.scanner.instances import build_instances
    from amlguard.scanner.inventory import Inventory
    from amlguard.scanner.model import ScanResult
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, _judge, instance_settings, needs_of, select_rules
    from amlguard.scanner.sources.snapshot import SnapshotSource

    t_import = time.perf_counter()
    pack = load_pack()
    rules = select_rules(pack)  # what `check` runs by default (opt-in rules left out)
    t_pack = time.perf_counter()
    c_pack = time.process_time()  # CPU time too: on a shared machine wall time scatters more
    # as `check`: the snapshot's checks run in a forked verifier beside the scan
    # (amlguard/scanner/sources/snapshotahead.py); its answer is awaited after the evaluation
    collected = SnapshotSource([path], verify_ahead=True).collect(needs_of(rules))
    t_load, c_load = time.perf_counter(), time.process_time()
    inventory = Inventory(collected.rows)
    t_inventory = time.perf_counter()
    instances = build_instances(inventory, instance_settings(pack, ScanOptions()))
    t_instances, c_instances = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # as `check --format json`: this process's findings' JSON lines written while the worker
    # judges (amlguard/reports/json_lines.py), which the render below reuses
    findings = _judge(Engine(inventory, rules, EngineOptions()), instances, rules, True)
    t_eval, c_eval = time.perf_counter(), time.process_time()
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, reaped by run()
    verified = collected.pending is None or collected.pending.passed()
    if not verified:
        raise SystemExit(f"{path}: the snapshot's verifier did not pass it")
    t_verified = time.perf_counter()
    proved = resource.getrusage(resource.RUSAGE_CHILDREN)  # the verifier too
    stats = parallel.last
    result = ScanResult(findings, collected.info, pack.version, pack.digest, "", instances, rules)
    text = registry.get("json").render(result, ReportOptions())
    t_render, c_render = time.perf_counter(), time.process_time()
    statuses: dict[str, int] = {}
    for f in findings:
        statuses[f.status.value] = statuses.get(f.status.value, 0) + 1
    out = {
        "import_s": t_import - t0,
        "pack_s": t_pack - t_import,
        "load_s": t_load - t_pack,
        "inventory_s": t_inventory - t_load,
        "instances_s": t_instances - t_inventory,
        "eval_s": t_eval - t_instances,
        "render_s": t_render - t_verified,
        "verify_wait_s": t_verified - t_eval,
        "verify_ahead": collected.pending is not None,
        "children_cpu_s": (proved.ru_utime + proved.ru_stime)
        - (children.ru_utime + children.ru_stime),
        "load_cpu_s": c_load - c_pack,
        "build_cpu_s": c_instances - c_load,
        "eval_cpu_s": c_eval - c_instances,
        "eval_worker_cpu_s": (reaped.ru_utime + reaped.ru_stime)
        - (children.ru_utime + children.ru_stime),
        "eval_own_s": stats.own_s,
        # this process's share: judging it, then writing its JSON lines ahead (when it forked)
        "eval_own_cpu_s": stats.waiting_cpu - stats.fork_cpu if stats.pids else stats.own_cpu_s,
        "eval_ahead_cpu_s": stats.waiting_cpu - stats.own_end_cpu if stats.pids else 0.0,
        "eval_join_s": stats.join_s,
        "processes": stats.processes,
        "serial_reason": stats.reason,
        "fallbacks": stats.fallbacks,
        "render_cpu_s": c_render - c_eval,
        "rows": len(collected.rows),
        "instances": len(instances),
        "findings": len(findings),
        "statuses": statuses,
        "report_bytes": len(text.encode("utf-8")),
    }
    # Python-heap peak of the scan (load to report), in a second pass under tracemalloc,
    # which slows allocation down too much to share the timed pass.
    if not trace:
        return out
    del collected, inventory, instances, findings, result, text
    tracemalloc.start()
    collected = SnapshotSource([path]).collect(needs_of(rules))
    inventory = Inventory(collected.rows)
    instances = build_instances(inventory, instance_settings(pack, ScanOptions()))
    findings = _judge(Engine(inventory, rules, EngineOptions()), instances, rules, True)
    result = ScanResult(findings, collected.info, pack.version, pack.digest, "", instances, rules)
    registry.get("json").render(result, ReportOptions())
    out["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out


def phase_figures(path: Path, runs: int) -> dict[str, Any]:
    """Median of each phase over ``runs`` fresh interpreters."""
    samples = []
    for i in range(runs):
        argv = [sys.executable, str(Path(__file__).resolve()), "--phases-of", str(path)]
        if i:
            argv.append("--no-trace")
        done = subprocess.run(argv, cwd=ROOT, env=_env(), capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"phase run failed on {path}:\n{done.stderr}")
        samples.append(json.loads(done.stdout))
    merged: dict[str, Any] = dict(samples[0])
    for key in samples[0]:
        if key.endswith("_s"):
            merged[key] = statistics.median(s[key] for s in samples)
    return merged


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def table(results: list[dict[str, Any]]) -> str:
    """The markdown table of figures, one column per N."""
    cols = [f"N = {r['n']:,}" for r in results]
    lines = ["| | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]

    def add(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    add("rows in snapshot", [f"{r['rows']:,}" for r in results])
    add("snapshot size", [f"{r['bytes'] / 1e6:,.1f} MB" for r in results])
    add(
        "findings (fail)",
        [f"{r['findings']:,} ({r['statuses'].get('fail', 0):,})" for r in results],
    )
    add("rule pack load", [_ms(r["pack_s"]) for r in results])
    add("snapshot load", [_ms(r["load_s"]) for r in results])
    add("inventory + instances build", [_ms(r["inventory_s"] + r["instances_s"]) for r in results])
    add(
        "evaluation processes (this one + workers)",
        [
            f"{r['processes']}"
            + (f" ({r['serial_reason']})" if r["serial_reason"] else "")
            + (f", {r['fallbacks']} fallback(s)" if r["fallbacks"] else "")
            for r in results
        ],
    )
    add("evaluation", [_ms(r["eval_s"]) for r in results])
    add(
        "evaluation wall: own share / joining the workers'",
        [f"{_ms(r['eval_own_s'])} / {_ms(r['eval_join_s'])}" for r in results],
    )
    add(
        "findings per second (evaluation)", [f"{r['findings'] / r['eval_s']:,.0f}" for r in results]
    )
    add("JSON report rendering", [_ms(r["render_s"]) for r in results])
    add(
        "CPU: of this process's share, its JSON lines written ahead",
        [_ms(r.get("eval_ahead_cpu_s", 0.0)) for r in results],
    )
    add(
        "CPU: evaluation in this process + in the workers",
        [f"{_ms(r['eval_cpu_s'])} + {_ms(r['eval_worker_cpu_s'])}" for r in results],
    )
    # What the evaluation's wall time would be with a core each: this process's CPU, plus how
    # much longer than its own share the slowest worker ran (one worker: exact; load-proof).
    add(
        "evaluation critical path (CPU, as on an idle machine)",
        [
            _ms(r["eval_cpu_s"] + max(0.0, r["eval_worker_cpu_s"] - r["eval_own_cpu_s"]))
            for r in results
        ],
    )
    add(
        "CPU: load / build / evaluation / render",
        [
            " / ".join(
                f"{r[k] * 1000:,.0f}"
                for k in ("load_cpu_s", "build_cpu_s", "eval_cpu_s", "render_cpu_s")
            )
            + " ms"
            for r in results
        ],
    )
    add(
        "peak memory, `amlguard check` (max RSS)",
        [f"{r['cli_rss_kib'] / 1024:,.0f} MiB" for r in results],
    )
    add(
        "peak memory, bare `json.load` (max RSS)",
        [f"{r['bare_rss_kib'] / 1024:,.0f} MiB" for r in results],
    )
    add(
        "peak Python heap of the scan (tracemalloc)",
        [f"{r['traced_peak_mib']:,.0f} MiB" for r in results],
    )
    add("`amlguard check ... --format json` process", [_ms(r["cli_s"]) for r in results])
    add("bare `json.load` process", [_ms(r["bare_s"]) for r in results])
    add("(reference: bare `json.load`, GC off)", [_ms(r["bare_nogc_s"]) for r in results])
    add(f"**ratio** (target <= {TARGET_RATIO})", [f"**{r['ratio']:.2f}**" for r in results])
    add(
        "CPU time (user+sys, workers included), `amlguard check`",
        [_ms(r["cli_cpu_s"]) for r in results],
    )
    add("CPU time (user+sys), bare `json.load`", [_ms(r["bare_cpu_s"]) for r in results])
    add("ratio of CPU times", [f"{r['cli_cpu_s'] / r['bare_cpu_s']:.2f}" for r in results])
    add("serial check (`AMLGUARD_WORKERS=1`) process", [_ms(r["serial_s"]) for r in results])
    add("ratio, serial check", [f"{r['serial_s'] / r['bare_s']:.2f}" for r in results])
    add("CPU time, serial check", [_ms(r["serial_cpu_s"]) for r in results])
    add(
        "ratio of CPU times, serial check",
        [f"{r['serial_cpu_s'] / r['bare_cpu_s']:.2f}" for r in results],
    )
    add(
        "parallel / serial check: wall, CPU",
        [
            f"{r['cli_s'] / r['serial_s']:.2f}, {r['cli_cpu_s'] / r['serial_cpu_s']:.2f}"
            for r in results
        ],
    )
    add("scan phases per instance", [f"{r['scan_per_instance_ms']:.2f} ms" for r in results])
    add("whole process per instance", [f"{r['cli_s'] / r['n'] * 1000:.2f} ms" for r in results])
    return "\n".join(lines)


def linearity(results: list[dict[str, Any]]) -> str:
    """A sentence on growth: per-instance scan time of the largest N against the middle one."""
    if len(results) < 2:
        return "linearity: needs at least two sizes"
    a, b = results[-2], results[-1]
    growth = b["scan_per_instance_ms"] / a["scan_per_instance_ms"]
    verdict = "linear" if growth <= 1.2 else "NOT linear"
    return (
        f"linearity: scan time per instance {a['scan_per_instance_ms']:.2f} ms at N={a['n']:,} "
        f"-> {b['scan_per_instance_ms']:.2f} ms at N={b['n']:,} (x{growth:.2f}): {verdict}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--runs", type=int, default=5, help="process runs per size (median)")
    parser.add_argument("--phase-runs", type=int, default=3, help="phase runs per size (median)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument(
        "--dns", choices=("per-instance", "hub"), default="per-instance", help="see generate.py"
    )
    parser.add_argument("--share", action="append", default=[], help="see generate.py (repeatable)")
    parser.add_argument(
        "--generate-args",
        default="",
        metavar="ARGS",
        help="more generate.py arguments, one string, e.g. '--dns resolver --projects 10'"
        " (overrides --dns; the estate file name records them)",
    )
    parser.add_argument("--phases-of", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phases_of:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        gc.disable()  # as `amlguard check` does (amlguard/cli/check.py)
        figures = phases(args.phases_of, trace=not args.no_trace)
        print(json.dumps(figures))
        return

    print(
        f"machine: {os.cpu_count()} CPU(s) (nproc {len(os.sched_getaffinity(0))}), "
        f"{platform.python_implementation()} {platform.python_version()}, {platform.platform()}",
        file=sys.stderr,
    )
    load_start = os.getloadavg()  # the machine is shared: say how busy it was
    version = [sys.executable, "-m", "amlguard", "--version"]
    timed_process(version)
    startup = [timed_process(version) for _ in range(max(5, args.runs))]
    startup_line = (
        f"start-up, `python -m amlguard --version`: {_ms(statistics.median(s[0] for s in startup))}"
        f" wall, {_ms(statistics.median(s[1] for s in startup))} CPU (median of {len(startup)})"
    )
    print(startup_line, file=sys.stderr)
    results = []
    for n in args.sizes:
        extra = tuple(shlex.split(args.generate_args))
        dns = () if "--dns" in extra or args.dns != "hub" else ("--dns", "hub")
        topology = dns + tuple(a for name in args.share for a in ("--share", name)) + extra
        path = estate_file(n, args.seed, topology)
        print(f"N={n}: {path.name} ...", file=sys.stderr, flush=True)
        r: dict[str, Any] = {"n": n, "file": str(path), "bytes": path.stat().st_size}
        r.update(process_figures(path, args.runs))  # first: it warms the bytecode cache
        r.update(phase_figures(path, args.phase_runs))
        r["ratio"] = r["cli_s"] / r["bare_s"]
        scan = r["load_s"] + r["inventory_s"] + r["instances_s"] + r["eval_s"] + r["render_s"]
        r["scan_per_instance_ms"] = scan / n * 1000
        results.append(r)
        print(
            f"  ratio {r['ratio']:.2f} ({_ms(r['cli_s'])} vs {_ms(r['bare_s'])}), serial"
            f" {r['serial_s'] / r['bare_s']:.2f}; CPU ratio {r['cli_cpu_s'] / r['bare_cpu_s']:.2f},"
            f" serial {r['serial_cpu_s'] / r['bare_cpu_s']:.2f}; {r['processes']} process(es)",
            file=sys.stderr,
            flush=True,
        )
    load = "load average (1, 5, 15 min) at start {:.2f} {:.2f} {:.2f}, at end {:.2f} {:.2f} {:.2f}"
    load_line = load.format(*load_start, *os.getloadavg())
    text = (
        table(results)
        + "\n\n"
        + linearity(results)
        + "\n\n"
        + startup_line
        + "\n\n"
        + load_line
        + " (2 cores: above ~2 the wall times are inflated, the CPU times less so)\n"
    )
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.md").write_text(text, encoding="utf-8")
    (OUT / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
