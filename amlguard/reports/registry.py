"""The formats the CLI offers: one line per format, imported only when that format is used.

Importing every format up front cost a check ~15 ms (junit_xml, xml.etree, rich) that a
``--format json`` run never needs; the modules still register themselves with ``@register``.
"""

from __future__ import annotations

import importlib

from amlguard.reports.interface import REPORTS, Report

_MODULES = {
    "console": "amlguard.reports.console",
    "html": "amlguard.reports.html",
    "json": "amlguard.reports.json_report",
    "junit": "amlguard.reports.junit",
    "markdown": "amlguard.reports.markdown",
    "sarif": "amlguard.reports.sarif",
}


def formats() -> list[str]:
    """The names of every available format."""
    return sorted(_MODULES)


def get(name: str) -> Report:
    """A fresh instance of the named format (KeyError for an unknown one)."""
    if name not in REPORTS:
        importlib.import_module(_MODULES[name])
    return REPORTS[name]()
