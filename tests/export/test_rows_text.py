"""The export's row text is byte for byte the compact JSON of the built rows (the fast path
that assembles it from cached parts changes no byte a batch carries)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from amlguard.export.batches import encode_row
from amlguard.export.rows import build_rows, encode_rows
from amlguard.history.gate import record_scan
from tests.export.helpers import ESTATES, scan_result


@pytest.mark.parametrize("estate", ESTATES[:4], ids=lambda p: p.name)
def test_encoded_text_is_the_built_rows_compact_json(estate: Path, tmp_path: Path) -> None:
    result = scan_result(estate)
    result.findings[1] = dataclasses.replace(
        result.findings[1],
        message="tab\there \u202e" + "ü" * 20_000,
        expected="Approved",
        actual=["a", "b"],
        path="properties.y",
    )
    recorded = record_scan(tmp_path / "h.db", result, "scope")
    for history in (None, recorded):
        built = list(build_rows(result, history=history, scan_id="fixed"))
        texts = list(encode_rows(result, history=history, scan_id="fixed"))
        assert len(texts) == len(built) > 1
        for text, row in zip(texts, built, strict=True):
            assert text.encode("utf-8") == encode_row(row)
