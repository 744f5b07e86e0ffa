"""The issue-6 benchmark: the history and the HTML report on estates of N blueprint instances.

For each N it builds an estate with ``tests/builders.py`` (a third of the instances drifted),
scans it once, then measures (median of ``--runs``):

- ``record``: storing the scan in a history that already holds one scan of the scope, plus
  the diff against it and the trend (what ``check --history`` adds to a scan);
- ``diff``: ``amlguard diff``'s work on the last two scans;
- the history's size per scan;
- ``html``: rendering the HTML report, its size, and (when /usr/bin/chromium exists) the time
  headless Chromium takes to load it and run its scripts (``--dump-dom``).

    python3 benchmarks/bench_history.py                  # N = 100, 1000
    python3 benchmarks/bench_history.py --sizes 100 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from amlguard.history.diff import diff_scans  # noqa: E402
from amlguard.history.gate import record_scan  # noqa: E402
from amlguard.history.store import HistoryStore  # noqa: E402
from amlguard.reports.html import HtmlReport  # noqa: E402
from amlguard.reports.interface import ReportOptions  # noqa: E402
from tests.builders import blueprint  # noqa: E402
from tests.history.scans import scan  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")


def _median(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _chromium_load(page: Path, profile: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            *(str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"),
            *(f"--user-data-dir={profile}", "--dump-dom", page.as_uri()),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return time.perf_counter() - started


def measure(n: int, runs: int, work_dir: Path) -> dict[str, float]:
    """Figures for an estate of ``n`` instances."""
    rows = []
    for i in range(n):
        inst = blueprint(rg=f"rg-{i}", prefix=f"ws{i}")
        if i % 3 == 0:
            inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
        rows += inst.rows()
    result = scan(work_dir, rows, name=f"estate-{n}.json")
    db = work_dir / f"history-{n}.db"
    recorded = record_scan(db, result, "bench")
    record = _median(runs, lambda: record_scan(db, result, "bench"))
    with HistoryStore(db) as store:
        scans = len(store.scans())
        diff = _median(runs, lambda: diff_scans(store))
    page = HtmlReport().render(result, ReportOptions(extra=recorded.report_extra()))
    html = _median(runs, lambda: HtmlReport().render(result, ReportOptions()))
    out = {
        "instances": n,
        "findings": len(result.findings),
        "record_s": record,
        "diff_s": diff,
        "db_mb_per_scan": db.stat().st_size / scans / 1e6,
        "html_s": html,
        "html_mb": len(page.encode()) / 1e6,
    }
    if CHROMIUM.exists():
        target = work_dir / f"report-{n}.html"
        target.write_text(page, encoding="utf-8")
        out["chromium_s"] = _median(runs, lambda: _chromium_load(target, work_dir / "profile"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            figures.append(measure(n, args.runs, Path(tmp)))
    keys = list(figures[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---:|" * len(keys))
    for f in figures:
        print(
            "| "
            + " | ".join(f"{f[k]:.2f}" if isinstance(f[k], float) else str(f[k]) for k in keys)
            + " |"
        )


if __name__ == "__main__":
    main()
