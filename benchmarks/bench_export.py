"""The issue-16 benchmark: exporting the 3,000-instance benchmark estate to Azure Monitor Logs.

Builds the estate with ``benchmarks/generate.py`` (same seed as the other benchmarks), scans
it once, then, against the standalone emulator (its own process, so client and server do not
share one interpreter) with the Logs Ingestion route, measures (median of ``--runs``):

- ``json``: rendering the JSON report and writing it to a file (what ``--output json:FILE``
  costs);
- ``export``: ``export_findings`` end to end: rows, batches, gzip, the HTTPS requests through
  ``azure-monitor-ingestion``'s client, and the emulator's 204s;
- requests sent vs the minimum for 1 MB batches (total body bytes / 1 MB, rounded up);
- the CPU time of this process for each (``time.process_time``, all threads): what the export
  adds to amlguard itself, without the emulator's work (it gunzips, parses and type-checks
  every row in Python, on the same cores; the real service does that in Azure).

Targets: requests <= minimum + 1; export time <= 2x the JSON report's.

    python3 benchmarks/bench_export.py                    # 3,000 instances, 3 runs
    python3 benchmarks/bench_export.py --instances 300 --runs 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from amlguard.azure.clients import AzureSettings, ClientFactory, StaticTokenCredential  # noqa: E402
from amlguard.export import export_findings  # noqa: E402
from amlguard.export.batches import MAX_BATCH_BYTES, make_batches, minimum_requests  # noqa: E402
from amlguard.export.rows import build_rows  # noqa: E402
from amlguard.reports.interface import ReportOptions  # noqa: E402
from amlguard.reports.json_report import JsonReport  # noqa: E402
from benchmarks.generate import estate, write  # noqa: E402
from tests.emulator.standalone import running  # noqa: E402
from tests.export.helpers import DCR, STREAM, scan_result  # noqa: E402


def _timed(runs: int, work: Callable[[], object]) -> tuple[float, list[float], float]:
    """Median wall time, every run's wall time, and the median CPU time of this process."""
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), times, statistics.median(cpu)


def _children_cpu() -> float | None:
    """CPU seconds (user + system) of this process's children so far: the emulator's work
    (Linux /proc; None elsewhere)."""
    try:
        total = 0.0
        for task in os.listdir(f"/proc/{os.getpid()}/task"):
            with open(f"/proc/{os.getpid()}/task/{task}/children", encoding="ascii") as f:
                for pid in f.read().split():
                    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total
    except (OSError, ValueError, IndexError):
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    load_start = os.getloadavg()  # the machine is shared: say how busy it was
    with tempfile.TemporaryDirectory(prefix="amlguard-bench-export-") as tmp:
        work = Path(tmp)
        snapshot = work / "estate.json"
        write(estate(args.instances), snapshot)
        result = scan_result(snapshot)
        findings = len(result.findings)
        batches = make_batches(build_rows(result, scan_id="00000000-0000-0000-0000-000000000000"))
        body_bytes = sum(b.size for b in batches)
        minimum = minimum_requests(batches, MAX_BATCH_BYTES)
        report = work / "findings.json"
        json_s, json_all, json_cpu = _timed(
            args.runs,
            lambda: report.write_text(JsonReport().render(result, ReportOptions()), "utf-8"),
        )
        empty = work / "empty.json"
        empty.write_text("[]", encoding="utf-8")
        with running(empty) as (endpoint, ca):
            factory = ClientFactory(
                AzureSettings(ca_bundle=ca), StaticTokenCredential("benchmark-token")
            )
            url = f"{endpoint}/dataCollectionRules/{DCR}/streams/{STREAM}"
            outcomes = []

            def export() -> None:
                outcome = export_findings(result, url, factory, state_dir=work / "state")
                if not outcome.ok:
                    raise SystemExit(f"export failed: {outcome.error}")
                outcomes.append(outcome)

            emulator_before = _children_cpu()
            export_s, export_all, export_cpu = _timed(args.runs, export)
            emulator_after = _children_cpu()
        report_mb = round(report.stat().st_size / 1e6, 1)
    requests = outcomes[-1].requests
    emulator_cpu = (
        round((emulator_after - emulator_before) / args.runs, 3)
        if emulator_before is not None and emulator_after is not None
        else None
    )
    figures = {
        "instances": args.instances,
        "findings": findings,
        "rows": outcomes[-1].rows,
        "accepted": outcomes[-1].accepted,
        "body_mb": round(body_bytes / 1e6, 1),
        "requests": requests,
        "minimum_requests": minimum,
        "json_report_s": round(json_s, 3),
        "export_s": round(export_s, 3),
        "ratio": round(export_s / json_s, 2),
        "json_report_cpu_s": round(json_cpu, 3),
        "export_cpu_s": round(export_cpu, 3),
        "cpu_ratio": round(export_cpu / json_cpu, 2),
        # the emulator's own CPU per export (it gunzips, parses and checks every row on the
        # same two cores; the real service does that in Azure)
        "emulator_cpu_s": emulator_cpu,
        "json_runs": [round(t, 3) for t in json_all],
        "export_runs": [round(t, 3) for t in export_all],
        "json_report_mb": report_mb,
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(figures, indent=2))
    ok = requests <= minimum + 1 and export_s <= 2 * json_s
    print(
        f"targets: requests {requests} <= minimum {minimum} + 1: "
        f"{'met' if requests <= minimum + 1 else 'MISSED'}; export {export_s:.2f} s <= 2 x JSON "
        f"report {json_s:.2f} s: {'met' if export_s <= 2 * json_s else 'MISSED'}"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
