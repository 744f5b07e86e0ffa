"""SARIF location lookup on a single-line snapshot (what ``amlguard snapshot -o`` writes).

    python3 -m benchmarks.bench_sarif_lines [instances] [runs]

Writes N blueprint instances (every third one drifted) as ONE line of JSON, scans it, then
renders JSON and SARIF (with the snapshot as the SARIF artifact) and prints the best of
``runs`` timings and their ratio. Issue 11 item 9: SARIF within 3x the JSON report's time.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.settings import CheckSettings
from tests.builders import blueprint


def estate(count: int) -> list[dict[str, object]]:
    """``count`` instances, one in three with public access left on."""
    rows: list[dict[str, object]] = []
    for i in range(count):
        inst = blueprint(rg=f"rg-{i}", prefix=f"ws{i}")
        if i % 3 == 0:
            inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
            inst.workspace["properties"]["publicNetworkAccess"] = "Enabled"
        rows += inst.rows()
    return rows


def best(fn: object, runs: int) -> float:
    """The fastest of ``runs`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "estate.json"
        path.write_text(json.dumps(estate(count), separators=(",", ":")), encoding="utf-8")
        result = app.prepare_scan(CheckSettings(snapshots=(path,))).result
        options = ReportOptions(extra={"artifacts": [str(path)], "root": tmp})
        size = path.stat().st_size
        json_s = best(lambda: app.render(result, "json", options), runs)
        sarif_s = best(lambda: app.render(result, "sarif", options), runs)
    print(
        f"{count} instances, {len(result.findings)} findings, snapshot {size:,d} bytes on 1 line: "
        f"json {json_s:.2f} s, sarif {sarif_s:.2f} s, ratio {sarif_s / json_s:.2f}x"
    )


if __name__ == "__main__":
    main()
