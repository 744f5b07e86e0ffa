"""The HTML report for a fleet: page size and time to interactive in headless Chromium.

    python3 -m benchmarks.bench_html_fleet [workspaces] [runs]

Copies multi-workspace.json's three workspaces (one clean, two drifted) up to N workspaces,
renders the HTML report, and loads it in headless Chromium ``runs`` times: ``ready`` is the
page's own ``performance.now()`` when its script has drawn the overview, heat map, diagram and
first page of findings (the page is interactive); ``wall`` includes Chromium's start-up.
Issue 14: 3,000 workspaces under 15 MB and interactive within 2 s.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.settings import CheckSettings
from tests.reports.chromium import dump_dom
from tests.reports.golden import ESTATES


def fleet(workspaces: int) -> object:
    """A scan result of ``workspaces`` workspaces (copies of the multi-workspace estate)."""
    result = app.prepare_scan(CheckSettings(snapshots=(ESTATES / "multi-workspace.json",))).result
    base, instances = list(result.findings), list(result.instances)
    copies = -(-workspaces // len(instances))
    result.findings = [
        replace(f, resource_id=f"{f.resource_id}-{i}", instance=f"{f.instance}-{i}")
        for i in range(copies)
        for f in base
    ]
    result.instances = [
        replace(x, id=f"{x.id}-{i}", workspace={**x.workspace, "name": f"{x.name}-{i}"})
        for i in range(copies)
        for x in instances
    ][:workspaces]
    return result


def main() -> None:
    workspaces = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    result = fleet(workspaces)
    started = time.perf_counter()
    text = app.render(result, "html", ReportOptions())  # type: ignore[arg-type]
    render_s = time.perf_counter() - started
    size = len(text.encode("utf-8"))
    readies, walls = [], []
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(text, encoding="utf-8")
        for _ in range(runs):
            started = time.perf_counter()
            dom = dump_dom(page, Path(tmp) / "profile", timeout=300)
            walls.append(time.perf_counter() - started)
            errors = re.search(r'data-js-errors="(\d+)"', dom)
            assert errors and errors.group(1) == "0", "the page's script failed"
            ready = re.search(r'data-ready-ms="(\d+)"', dom)
            assert ready
            readies.append(int(ready.group(1)) / 1000)
    print(
        f"{len(result.instances)} workspaces, {len(result.findings)} findings: "  # type: ignore[attr-defined]
        f"render {render_s:.2f} s, page {size / 1e6:.1f} MB, interactive {min(readies):.2f} s "
        f"(best of {runs}; wall with Chromium start-up {min(walls):.2f} s)"
    )


if __name__ == "__main__":
    main()
