"""The formats the CLI offers, declared in the one registry type; each format's module is
imported only when that format is used.

Importing every format up front cost a check ~15 ms (junit_xml, xml.etree, rich) that a
``--format json`` run never needs.
"""

from __future__ import annotations

from amlguard.registry import Registry
from amlguard.reports.interface import Report

#: Report formats by name: ``--format NAME`` and ``--output NAME:PATH``.
FORMATS: Registry[type[Report]] = Registry("report format")
FORMATS.declare("console", "amlguard.reports.console:ConsoleReport", "the terminal report")
FORMATS.declare("html", "amlguard.reports.html:HtmlReport", "a self-contained HTML page")
FORMATS.declare("json", "amlguard.reports.json_report:JsonReport", "findings for pipelines")
FORMATS.declare("junit", "amlguard.reports.junit:JunitReport", "JUnit XML for CI test tabs")
FORMATS.declare("markdown", "amlguard.reports.markdown:MarkdownReport", "GitHub summaries")
FORMATS.declare("sarif", "amlguard.reports.sarif:SarifReport", "SARIF 2.1.0 code scanning")


def formats() -> list[str]:
    """The names of every available format."""
    return FORMATS.names()


def get(name: str) -> Report:
    """A fresh instance of the named format (KeyError for an unknown one)."""
    cls = FORMATS.get(name)
    if cls is None:
        raise KeyError(name)
    return cls()
