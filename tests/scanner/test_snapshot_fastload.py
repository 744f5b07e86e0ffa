"""Snapshot files read through the orjson fast path give what the strict path gives: the same
rows and header, or the same error naming the file and position."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from amlguard import jsonfast
from amlguard.errors import InputError
from amlguard.scanner.sources.snapshot import load_snapshot

pytest.importorskip("orjson")

_ROW = {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a"}
_DOC = {
    "amlguard_snapshot": {"gaps": []},
    "data": [dict(_ROW, type="microsoft.storage/storageaccounts", properties={"t": "12:30"})],
}
_TEXT = json.dumps(_DOC, separators=(",", ":"))

_FILES: list[tuple[str, bytes]] = [
    ("compact", _TEXT.encode()),
    ("compact, newline", _TEXT.encode() + b"\n"),
    ("indented", json.dumps(_DOC, indent=2).encode()),
    ("BOM", b"\xef\xbb\xbf" + _TEXT.encode()),
    ("UTF-16", _TEXT.encode("utf-16")),
    ("gzip", gzip.compress(_TEXT.encode())),
    ("JSON Lines", b'{"amlguard_snapshot":{}}\n' + json.dumps(_DOC["data"][0]).encode() + b"\n"),
    ("repeated key", _TEXT.replace('"data":', '"data":[],"data":').encode()),
    ("repeated row key", _TEXT.replace('"id":', '"id":"x","id":').encode()),
    ("big integer", _TEXT.replace('"gaps":[]', '"n":18446744073709551616,"gaps":[]').encode()),
    ("NaN", _TEXT.replace('"gaps":[]', '"n":NaN,"gaps":[]').encode()),
    ("not UTF-8", _TEXT.replace("12:30", "12:3\udcff").encode("utf-8", "surrogateescape")),
    ("lone surrogate", _TEXT.replace("12:30", "\\ud800").encode()),
    ("empty", b"  \n"),
    ("row without id", b'[{"name":"x"}]'),
    ("deep", b"[" * 300 + b"]" * 300),
]


def _outcome(path: Path) -> tuple[str, Any]:
    try:
        snap = load_snapshot(path)
    except InputError as exc:
        return "InputError", str(exc)
    return "ok", (snap.rows, snap.header, [g.reason for g in snap.gaps])


@pytest.mark.parametrize(("name", "raw"), _FILES, ids=[n for n, _ in _FILES])
def test_fast_load_equals_the_strict_load(
    name: str, raw: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file gives the same rows, header and gaps, or the same message, with orjson as
    without it (the product's behaviour when orjson is not installed)."""
    path = tmp_path / "snap.json"
    path.write_bytes(raw)
    fast = _outcome(path)
    monkeypatch.setattr(jsonfast, "orjson", None)
    assert fast == _outcome(path)


def test_the_usual_file_takes_the_fast_path(tmp_path: Path) -> None:
    """A compact snapshot is read from its bytes without a strict pass."""
    path = tmp_path / "snap.json"
    path.write_bytes(_TEXT.encode())
    assert jsonfast.loads(path.read_bytes()) == _DOC
    assert load_snapshot(path).rows == _DOC["data"]
