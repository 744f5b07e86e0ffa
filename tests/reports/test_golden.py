"""Every format against the example estates: the exact output, time and version normalised.

After an intended change, regenerate with ``python -m tests.reports.golden`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reports import golden


@pytest.mark.parametrize("fmt", sorted(golden.FORMATS))
def test_report_matches_golden_file(case: str, fmt: str, tmp_path: Path) -> None:
    expected = golden.golden_path(case, fmt).read_text(encoding="utf-8")
    assert golden.render_case(case, fmt, tmp_path) == expected, (
        f"{case} {fmt} differs from its golden file; if intended: python -m tests.reports.golden"
    )


def test_golden_cases_cover_every_example_estate() -> None:
    estates = {p.stem for p in golden.ESTATES.glob("*.json")}
    assert estates <= set(golden.cases())
    assert len(list(golden.GOLDEN.iterdir())) == len(golden.cases()) * len(golden.FORMATS)
