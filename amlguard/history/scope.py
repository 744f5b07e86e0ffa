"""The scope a scan is recorded under in the history, and the recording itself."""

from __future__ import annotations

import os
from typing import Any

from amlguard.scanner.model import ScanResult
from amlguard.settings import CheckSettings, Templates


def history_scope(settings: CheckSettings, result: ScanResult) -> str | None:
    """The scope a scan is recorded under: the flag/config, else a snapshot's recorded scope,
    else the snapshots' absolute paths (the same file scanned from two folders is one scope)."""
    if settings.history.scope:
        return settings.history.scope
    templates = _template_scope(settings.templates)
    if templates is not None and settings.live:  # templates judged in the live estate
        return f"{templates} in {result.source.kind}:{result.source.description}"
    if not settings.snapshots:
        return templates
    if templates is not None:  # templates judged in the context of a snapshot
        return templates + " in " + ", ".join(os.path.abspath(p) for p in settings.snapshots)
    header = result.source.header if isinstance(result.source.header, dict) else {}
    scope = header.get("scope")
    if isinstance(scope, dict) and header.get("source") == "resource-graph":
        from amlguard.scanner.sources.live import LiveScope

        live = LiveScope(
            tuple(scope.get("subscriptions") or ()),
            tuple(scope.get("management_groups") or ()),
            tuple(scope.get("resource_groups") or ()),
        )
        return f"Azure Resource Graph: {live.describe()}"
    return ", ".join(os.path.abspath(p) for p in settings.snapshots)


def _template_scope(templates: Templates) -> str | None:
    """Templates by absolute path, with their parameter files and deployment target (not the
    parameter values, which may be secret): the same file name in two repositories is two
    scopes."""
    if not templates.paths:
        return None
    parts = [os.path.abspath(p) for p in templates.paths]
    if templates.parameter_files:
        parts.append(
            "parameters " + ", ".join(os.path.abspath(p) for p in templates.parameter_files)
        )
    if templates.parameters:
        parts.append("--parameter " + ", ".join(sorted({n for n, _ in templates.parameters})))
    target = "/".join(x for x in (templates.subscription, templates.resource_group) if x)
    if target:
        parts.append(f"deployed to {target}")
    return "template: " + "; ".join(parts)


def record_history(settings: CheckSettings, result: ScanResult) -> Any:
    """Record the scan with its ``--fail-on-new`` outcome (a ``Recorded``), or None."""
    if settings.history.path is None:
        return None
    from amlguard.history.gate import record_scan

    recorded = record_scan(
        settings.history.path, result, history_scope(settings, result), settings.gate
    )
    warning = recorded.retry_warning()
    if warning:
        result.warnings.append(warning)
    return recorded
