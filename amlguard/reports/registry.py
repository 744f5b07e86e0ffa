"""Imports every format module so each registers itself; the CLI asks here for formats."""

from __future__ import annotations

import amlguard.reports.junit
import amlguard.reports.markdown
import amlguard.reports.sarif  # noqa: F401
from amlguard.reports import console, html, json_report  # noqa: F401  (registration side effects)
from amlguard.reports.interface import REPORTS, Report


def formats() -> list[str]:
    """The names of every registered format."""
    return sorted(REPORTS)


def get(name: str) -> Report:
    """A fresh instance of the named format (KeyError for an unknown one)."""
    return REPORTS[name]()
