"""Shared helpers for report tests: scan an example estate (optionally gated) once per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import ScanResult
from amlguard.settings import CheckSettings
from tests.reports import golden


def _schemas() -> Path:
    # ``<repo>/../shared`` (tests/conftest.py's SHARED); a worktree sits one level deeper.
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "schemas").is_dir():
            return parent / "shared" / "schemas"
    return Path(__file__).resolve().parents[3] / "shared" / "schemas"


SCHEMAS = _schemas()


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
