"""Findings to Azure Monitor Logs through the Logs Ingestion API (``--output log-analytics:URL``).

Light on import: names load on first use (PEP 562), so ``check`` can look at its outputs with
:mod:`amlguard.export.outputs` without loading the exporter; ``azure-monitor-ingestion`` is
imported by the client factory only when an export runs.
"""

from __future__ import annotations

from typing import Any

_WHERE = {
    "DEFAULT_BUDGET_S": "exporter",
    "ExportOutcome": "exporter",
    "export_findings": "exporter",
    "retry_spool": "exporter",
    "FORMAT": "outputs",
    "exit_code": "outputs",
    "export_all": "outputs",
    "failures": "outputs",
    "is_log_analytics": "outputs",
    "split_outputs": "outputs",
    "LogAnalyticsTarget": "target",
    "parse_target": "target",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """The public names, imported from their module on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = __import__(f"amlguard.export.{_WHERE[name]}", fromlist=[name])
    value = getattr(module, name)
    globals()[name] = value
    return value
