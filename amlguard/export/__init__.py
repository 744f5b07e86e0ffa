"""Findings to Azure Monitor Logs through the Logs Ingestion API (``--output log-analytics:URL``).

Heavy on import only where it sends: ``azure-monitor-ingestion`` is imported by the client
factory when an export runs, never on the ``check`` path.
"""

from amlguard.export.exporter import DEFAULT_BUDGET_S, ExportOutcome, export_findings, retry_spool
from amlguard.export.outputs import (
    FORMAT,
    exit_code,
    export_all,
    failures,
    is_log_analytics,
    split_outputs,
)
from amlguard.export.target import LogAnalyticsTarget, parse_target

__all__ = [
    "DEFAULT_BUDGET_S",
    "FORMAT",
    "ExportOutcome",
    "LogAnalyticsTarget",
    "exit_code",
    "export_all",
    "export_findings",
    "failures",
    "is_log_analytics",
    "parse_target",
    "retry_spool",
    "split_outputs",
]
