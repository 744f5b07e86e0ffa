"""Reports as text, and as files written whole or not at all."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from amlguard.reports import registry
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import ScanResult
from amlguard.settings import CheckSettings, OutputTarget


def render(result: ScanResult, fmt: str, options: ReportOptions) -> str:
    """One report as text."""
    return registry.get(fmt).render(result, options)


def json_ahead(settings: CheckSettings) -> bool:
    """Whether the check should write its findings' JSON report lines while its evaluation
    worker judges (``scan.evaluate(json_ahead=...)``): a JSON report is asked for, and no fix,
    history (new markers) or re-read from Azure will rewrite the findings first."""
    return (
        not settings.fix.enabled
        and settings.history.path is None
        and not (settings.live and settings.gate.confirm)
        and any(str(t.format).lower() == "json" for t in settings.outputs.targets)
    )


def write_outputs(
    result: ScanResult, outputs: list[OutputTarget], options: ReportOptions
) -> tuple[str, list[Path]]:
    """Render every requested report: files are written whole or not at all; stdout returned."""
    stdout_parts: list[str] = []
    written: list[Path] = []
    for target in outputs:
        if target.path is None:
            stdout_parts.append(render(result, target.format, options))
            continue
        text = render(result, target.format, replace(options, color=False))  # no colours in files
        write_atomically(target.path, text, f"{target.format} report")
        written.append(target.path)
    return "".join(stdout_parts), written


def write_atomically(path: Path, text: str, what: str) -> None:
    """Write a report through the one output writer (whole or nothing; never over a device)."""
    from amlguard.outputfile import write_output

    write_output(path, text, what)


def artifacts(settings: CheckSettings) -> list[str]:
    """Files SARIF results may point at: ``--sarif-artifact``, else the snapshots, else config."""
    if settings.outputs.sarif_artifact is not None:
        return [str(settings.outputs.sarif_artifact)]
    if settings.snapshots:
        return [str(p) for p in settings.snapshots]
    if settings.config is not None and settings.config.path:
        return [settings.config.path]
    return []
