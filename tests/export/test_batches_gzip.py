"""A batch's gzip body is the same JSON whichever compressor made it (ISA-L or zlib)."""

from __future__ import annotations

import gzip
import json
import sys

import pytest

from amlguard.export.batches import make_batches


@pytest.mark.parametrize("isal", [True, False], ids=["isal", "zlib"])
def test_gzipped_body_is_the_batch_json(isal: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not isal:
        monkeypatch.setitem(sys.modules, "isal", None)  # import isal -> ImportError
    else:
        pytest.importorskip("isal")
    rows = [{"n": i, "Message": "é \u202e x" * (i % 7), "Actual": [i, None]} for i in range(2000)]
    (batch,) = make_batches(rows)
    data = batch.gzipped()
    assert data[:2] == b"\x1f\x8b"  # the SDK sends Content-Encoding: gzip only for this magic
    assert gzip.decompress(data) == batch.body
    assert json.loads(batch.body) == rows
    assert len(data) < len(batch.body) // 5
