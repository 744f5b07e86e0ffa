"""Snapshot files: the offline source, and the format ``amlguard snapshot`` writes.

Accepted shapes, each optionally gzip-compressed (detected by content, not by name):

- a JSON array of rows;
- an object with a ``data`` array (``az graph query -o json``, the REST API, amlguard's own
  snapshots with their ``amlguard_snapshot`` header);
- an ARM list body (an object with a ``value`` array);
- a single ARM GET body (an object with ``id`` and ``type``);
- JSON Lines: one row per line (a line may also be a header object ``{"amlguard_snapshot": ...}``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.scanner.model import Gap, SourceInfo
from amlguard.scanner.sources.interface import Collected, Needs, Source

HEADER_KEY = "amlguard_snapshot"


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: snapshot file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a snapshot file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read snapshot: {exc.strerror}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: corrupt gzip data: {exc}") from None
    return raw


def _position(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"{line}:{col}"


def _rows_of(doc: Any, path: Path, where: str) -> tuple[list[Any], dict[str, Any]]:
    """(rows, header) of one parsed JSON document."""
    if isinstance(doc, list):
        return doc, {}
    if isinstance(doc, dict):
        raw_header = doc.get(HEADER_KEY)
        header: dict[str, Any] = raw_header if isinstance(raw_header, dict) else {}
        for key in ("data", "value"):
            if key in doc:
                rows = doc[key]
                if isinstance(rows, dict) and "rows" in rows and "columns" in rows:
                    rows = _table_rows(rows, path)
                if not isinstance(rows, list):
                    raise InputError(f"{path}:{where}: '{key}' must be an array of rows")
                return rows, header
        if header and len(doc) == 1:
            return [], header
        if "id" in doc:
            return [doc], {}
    raise InputError(
        f"{path}:{where}: not a snapshot: expected an array of rows, an object with a 'data' or "
        "'value' array, or an ARM resource body with an 'id'"
    )


def _table_rows(table: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    """Resource Graph's ``resultFormat: table`` as rows."""
    try:
        names = [c["name"] for c in table["columns"]]
        return [dict(zip(names, r, strict=True)) for r in table["rows"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed table result: {exc}") from None


def _check_rows(rows: list[Any], path: Path, line_of: Callable[[int], str]) -> None:
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InputError(f"{path}:{line_of(i)}: row {i + 1} is not an object")
        rid = row.get("id")
        if not isinstance(rid, str) or not rid.strip():
            raise InputError(f"{path}:{line_of(i)}: row {i + 1} has no 'id'")


def read_snapshot(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows and header of one snapshot file; InputError naming the file and position."""
    raw = _read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not text or text.isspace():  # not strip(): that copies the whole text
        raise InputError(f"{path}: snapshot file is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as first:
        return _read_json_lines(text, path, first)
    rows, header = _rows_of(doc, path, "1:1")
    _check_rows(rows, path, lambda i: "1:1")
    return rows, header


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _read_json_lines(
    text: str, path: Path, first: json.JSONDecodeError
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    lines = text.splitlines()
    # A single-document file that fails to parse is reported at its own position, not as JSONL.
    nonempty = [ln for ln in lines if ln.strip()]
    if len(nonempty) < 2 or not _is_json_object(nonempty[0]):
        raise InputError(f"{path}:{_position(text, first.pos)}: invalid JSON: {first.msg}")
    rows: list[dict[str, Any]] = []
    header: dict[str, Any] = {}
    numbers: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{number}:{exc.colno}: invalid JSON Lines record: {exc.msg}"
            ) from None
        if isinstance(doc, dict) and HEADER_KEY in doc and len(doc) == 1:
            header = doc[HEADER_KEY]
            continue
        got, _ = _rows_of(doc, path, f"{number}:1")
        rows.extend(got)
        numbers.extend([number] * len(got))
    _check_rows(rows, path, lambda i: f"{numbers[i]}:1")
    return rows, header


class SnapshotSource(Source):
    """Rows from one or more snapshot files (later files win on duplicate ids)."""

    def __init__(self, paths: list[Path]) -> None:
        if not paths:
            raise InputError("no snapshot file given")
        self.paths = paths

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        rows: list[dict[str, Any]] = []
        headers = []
        gaps: list[Gap] = []
        for path in self.paths:
            got, header = read_snapshot(path)
            rows.extend(got)
            if header:
                headers.append(header)
                for gap in header.get("gaps") or []:
                    if isinstance(gap, dict) and gap.get("reason"):
                        gaps.append(Gap(str(gap["reason"]), str(gap.get("scope") or "")))
        info = SourceInfo(
            kind="snapshot",
            description=", ".join(str(p) for p in self.paths),
            gaps=gaps,
            stats={"files": len(self.paths), "rows": len(rows)},
            header=headers[0] if len(headers) == 1 else ({"files": headers} if headers else {}),
        )
        return Collected(rows, info)


def write_snapshot(path: Path, rows: list[dict[str, Any]], header: dict[str, Any]) -> None:
    """Write rows with a header, in the format ``read_snapshot`` reads (gzip for ``.gz``)."""
    doc = {HEADER_KEY: header, "data": rows}
    data = json.dumps(doc, separators=(",", ":"), sort_keys=False).encode("utf-8")
    try:
        if path.suffix.lower() == ".gz":
            data = gzip.compress(data, mtime=0)
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write snapshot: {exc.strerror}") from None
