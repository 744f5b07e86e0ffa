"""The parse cache's content digest against what it saves: CPU time per ``check`` start-up.

Times, in one process with ``time.process_time``, over the files a plain ``check`` reads
through the cache (the three rule files, ``pack.yaml``, ``private_link.yaml``, the two
schemas and an example config): the old (size, mtime_ns) ``os.stat`` key, the new
(size, mtime_ns, BLAKE2b) key, and a PyYAML parse of the same YAML files (what a hit saves).

    PYTHONPATH=$PWD python3 benchmarks/bench_parsecache.py --runs 200
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from amlguard.scanner import parsecache

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "amlguard" / "policies"
FILES = [
    *sorted((POLICIES / "rules").glob("*.yaml")),
    POLICIES / "pack.yaml",
    POLICIES / "private_link.yaml",
    POLICIES / "schemas" / "rules.schema.json",
    POLICIES / "schemas" / "config.schema.json",
    ROOT / "examples" / "ci" / "amlguard.yaml",
]


def _per_run_ms(work: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.process_time()
        work()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    """Print the median CPU milliseconds of each way to key the cache, and of the parse."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    paths = [str(p) for p in FILES if p.is_file()]
    size = sum(os.path.getsize(p) for p in paths)

    def stat_only() -> None:
        for p in paths:
            st = os.stat(p)
            _ = (st.st_size, st.st_mtime_ns)

    def hashed() -> None:
        for p in paths:
            parsecache.signature(p)

    start = time.process_time()
    import yaml  # what a cache hit avoids importing

    import_ms = (time.process_time() - start) * 1000
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    yamls = [p for p in paths if p.endswith((".yaml", ".yml"))]

    def parse() -> None:
        for p in yamls:
            with open(p, encoding="utf-8") as handle:
                yaml.load(handle, Loader=loader)  # a safe loader

    runs = args.runs
    print(f"{len(paths)} files, {size:,} bytes; median CPU ms of {runs} runs")
    print(f"  stat only (old key)        {_per_run_ms(stat_only, runs):8.3f}")
    print(f"  stat + BLAKE2b (new key)   {_per_run_ms(hashed, runs):8.3f}")
    print(f"  YAML parse ({len(yamls)} files)       {_per_run_ms(parse, max(runs // 10, 5)):8.3f}")
    print(f"  import yaml (once)         {import_ms:8.3f}")


if __name__ == "__main__":
    main()
