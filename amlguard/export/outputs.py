"""``--output log-analytics:URL`` among the other outputs: parse early, export, decide the exit.

What ``check`` needs to wire the export in a few lines (and nothing heavy on import):

    reports, urls = split_outputs(specs)          # before the scan: a bad URL exits 2 at once
    ...scan, record history...
    outcomes = export_all(result, urls, factory, history=recorded)
    ...write reports (outcome.to_dict() can go in their statistics)...
    code = exit_code(code, outcomes)              # 3 when a row could not be delivered
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from amlguard.export.target import BUDGET_S, parse_target

if TYPE_CHECKING:  # the exporter loads only when an export runs
    from amlguard.export.exporter import ExportOutcome
    from amlguard.scanner.model import ScanResult


FORMAT = "log-analytics"


def is_log_analytics(spec: str) -> bool:
    """Whether an ``--output``/``outputs`` entry is ``log-analytics:URL``."""
    return spec.partition(":")[0].strip().lower() == FORMAT


def split_outputs(specs: Iterable[str], flag: str = "--output") -> tuple[list[str], list[str]]:
    """(the report specs, the ingestion URLs); InputError (exit 2) for a bad or missing URL."""
    reports: list[str] = []
    urls: list[str] = []
    for spec in specs:
        if not is_log_analytics(spec):
            reports.append(spec)
            continue
        url = spec.partition(":")[2].strip()
        parse_target(url, f"{flag} {FORMAT}:")
        if url not in urls:  # the same URL twice would send every row twice
            urls.append(url)
    return reports, urls


def export_all(
    result: ScanResult,
    urls: Sequence[str],
    factory: Any,
    *,
    history: Any = None,
    state_dir: Path | None = None,
    budget_s: float = BUDGET_S,
) -> list[ExportOutcome]:
    """One :func:`export_findings` per URL, in order; never raises for a delivery failure."""
    from amlguard.export.exporter import export_findings

    return [
        export_findings(
            result, url, factory, history=history, state_dir=state_dir, budget_s=budget_s
        )
        for url in urls
    ]


def exit_code(code: int, outcomes: Iterable[ExportOutcome]) -> int:
    """``code`` unless an export failed: then 3 (over 0 and 1; a usage or internal error stays)."""
    if code in (EXIT_OK, EXIT_FINDINGS) and any(not o.ok for o in outcomes):
        return EXIT_INCOMPLETE
    return code


def failures(outcomes: Iterable[ExportOutcome]) -> list[str]:
    """One line per failed export naming its cause and where its rows wait (for stderr)."""
    return [o.summary() for o in outcomes if not o.ok]
