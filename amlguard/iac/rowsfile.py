"""The document ``amlguard template rows`` writes: a snapshot plus where the unknowns are."""

from __future__ import annotations

from typing import Any

from amlguard import __version__
from amlguard.iac.source import TemplateSource
from amlguard.iac.values import Unknown
from amlguard.scanner.sources.interface import Collected
from amlguard.scanner.sources.snapshot import HEADER_KEY


def _unknowns(value: Any, path: str, out: list[tuple[str, Unknown]]) -> None:
    if isinstance(value, Unknown):
        out.append((path, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            _unknowns(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _unknowns(v, f"{path}[{i}]", out)


def rows_document(source: TemplateSource, collected: Collected) -> dict[str, Any]:
    """``{amlguard_snapshot: header, data: rows, unknowns: [...]}``; secrets never in it."""
    unknowns = []
    for row in collected.rows:
        found: list[tuple[str, Unknown]] = []
        _unknowns(row, "", found)
        for path, value in found:
            unknowns.append(
                {
                    "resource_id": row["id"],
                    "path": path,
                    "key": value.key,
                    "secret": value.secret,
                    "where": value.where,
                }
            )
    header = {
        "tool": f"amlguard {__version__}",
        "source": "template",
        **collected.info.header,
        "stats": collected.info.stats,
    }
    return {HEADER_KEY: header, "data": collected.rows, "unknowns": unknowns}
