"""Shared helpers for report tests: scan an example estate (optionally gated) once per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import ScanResult
from amlguard.settings import CheckSettings
from tests.conftest import SHARED
from tests.reports import golden

# The published schemas (tests/conftest.py's SHARED; a missing folder skips or, in CI, fails).
SCHEMAS = SHARED / "schemas"


def scan(estate: str) -> ScanResult:
    """The result of ``amlguard check`` on one example estate, without gates."""
    return app.prepare_scan(CheckSettings(snapshots=(golden.ESTATES / estate,))).result


def options(*artifacts: Path) -> ReportOptions:
    """Report options pointing SARIF at the given artifacts, relative to the repository."""
    return ReportOptions(extra={"artifacts": [str(a) for a in artifacts], "root": str(golden.ROOT)})


@pytest.fixture(params=golden.cases())
def case(request: pytest.FixtureRequest) -> str:
    """Every golden case: each example estate and the gated run."""
    return str(request.param)
