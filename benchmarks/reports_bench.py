"""Render every report format for a large synthetic result (multi-workspace.json x N).

    python3 -m benchmarks.reports_bench [copies]

Prints seconds and size per format; results go in BENCHMARKS.md with the command.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.settings import CheckSettings
from tests.reports.golden import ESTATES


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    estate = ESTATES / "multi-workspace.json"
    result = app.prepare_scan(CheckSettings(snapshots=(estate,))).result
    base, instances = list(result.findings), list(result.instances)
    result.findings = [
        replace(f, resource_id=f"{f.resource_id}-{i}", instance=f"{f.instance}-{i}")
        for i in range(copies)
        for f in base
    ]
    result.instances = [replace(x, id=f"{x.id}-{i}") for i in range(copies) for x in instances]
    print(f"{len(result.findings)} findings, {len(result.instances)} workspaces")
    options = ReportOptions(extra={"artifacts": [str(estate)]})
    for fmt in ("json", "junit", "sarif", "markdown", "console"):
        started = time.perf_counter()
        text = app.render(result, fmt, options)
        took = time.perf_counter() - started
        print(f"{fmt:9s} {took:6.2f}s {len(text):>11,d} chars")


if __name__ == "__main__":
    main()
