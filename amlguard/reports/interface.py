"""The interface every report format implements, and the registry the CLI reads."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

from amlguard.scanner.model import ScanResult, Severity


class ReportError(Exception):
    """A report could not be produced or written."""


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How the user asked to see the result (shared by every format)."""

    verbose: bool = False
    color: bool = False
    fail_on: Severity | None = Severity.LOW
    width: int | None = None
    #: ``--compact``: the overview and one line per failing finding (console)
    compact: bool = False
    #: ``--failed-only``: only the workspaces with failing or unjudged findings (console)
    failed_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Report(abc.ABC):
    """Turns a scan result into text; one subclass per format."""

    name: str = ""
    #: file suffix used in help texts
    suffix: str = ".txt"

    @abc.abstractmethod
    def render(self, result: ScanResult, options: ReportOptions) -> str:
        """The whole report as text."""


def register(cls: type[Report]) -> type[Report]:
    """Class decorator marking a format class; the CLI finds it through its declaration in
    :data:`amlguard.reports.registry.FORMATS` (name -> ``module:Class``, imported on use)."""
    return cls
