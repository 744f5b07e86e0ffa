"""Snapshot files: the offline source, and the format ``amlguard snapshot`` writes.

Accepted shapes, each optionally gzip-compressed (detected by content, not by name):

- a JSON array of rows;
- an object with a ``data`` array (``az graph query -o json``, the REST API, amlguard's own
  snapshots with their ``amlguard_snapshot`` header), or with a ``data`` table
  (``resultFormat: table``: ``columns`` and ``rows``);
- an ARM list body (an object with a ``value`` array);
- a single ARM GET body (an object with an ``id``);
- JSON Lines: one row per line (a line may also be a header object ``{"amlguard_snapshot": ...}``).

Text is UTF-8 (with or without a BOM), or UTF-16 with a BOM (what Windows PowerShell 5 writes
for ``az graph query ... > file``). A result that says it is truncated (a skip token, a
``nextLink``, or fewer rows than its total) is read, and recorded as a gap: resources missing
from it cannot be told from resources that do not exist, so the scan fails closed (exit 3).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlguard import inputfile, jsonfast, jsonstrict
from amlguard.errors import InputError
from amlguard.scanner.model import Gap, SourceInfo
from amlguard.scanner.sources import snapshotahead
from amlguard.scanner.sources.interface import Collected, Needs, Source
from amlguard.scanner.sources.snapshotgaps import header_gaps, truncation
from amlguard.scanner.sources.snapshotrows import _check_rows, _kind
from amlguard.scanner.sources.snapshotrows import _named_type as _named_type  # re-exported
from amlguard.scanner.sources.snapshotrows import row_problem as row_problem  # re-exported

HEADER_KEY = "amlguard_snapshot"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(slots=True)
class SnapshotFile:
    """What one snapshot file holds: its rows, its amlguard header, and what it lacks."""

    rows: list[dict[str, Any]]
    header: dict[str, Any] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)


def _read_bytes(path: Path) -> bytes:
    return inputfile.read_bytes(path, "snapshot file")


def _decode(raw: bytes, path: Path) -> str:
    return inputfile.decode(raw, path, "snapshot")


def _position(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"{line}:{col}"


def _table_rows(table: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    """Resource Graph's ``resultFormat: table`` as rows."""
    try:
        names = [c["name"] for c in table["columns"]]
        return [dict(zip(names, r, strict=True)) for r in table["rows"]]
    except (KeyError, TypeError, ValueError):
        raise InputError(
            f"{path}: malformed Resource Graph table: 'columns' must be an array of objects "
            "with a 'name', and 'rows' an array of arrays as long as 'columns'"
        ) from None


_NOT_A_SNAPSHOT = (
    "not a snapshot: expected an array of rows, an object with a 'data' or 'value' array, "
    "or an ARM resource body with an 'id'"
)


def _header(doc: dict[str, Any], path: Path, where: str) -> dict[str, Any]:
    """The ``amlguard_snapshot`` header, checked: an object whose ``gaps`` is an array."""
    if HEADER_KEY not in doc:
        return {}
    header = doc[HEADER_KEY]
    if not isinstance(header, dict):
        raise InputError(f"{path}{where}: '{HEADER_KEY}' must be an object, found {_kind(header)}")
    gaps = header.get("gaps")
    if gaps is not None:
        if not isinstance(gaps, list):
            raise InputError(
                f"{path}{where}: '{HEADER_KEY}.gaps' must be an array, found {_kind(gaps)}"
            )
        for i, gap in enumerate(gaps):
            if not isinstance(gap, dict) or not isinstance(gap.get("reason"), str):
                raise InputError(
                    f"{path}{where}: '{HEADER_KEY}.gaps[{i}]' must be an object with a "
                    f"'reason' string, found {_kind(gap)}"
                )
    return header


def _parse_document(doc: Any, path: Path, where: str) -> tuple[SnapshotFile, str | None]:
    """The rows of one parsed JSON document, and the key of its row array (None: a body)."""
    if isinstance(doc, list):
        return SnapshotFile(doc), ""
    if not isinstance(doc, dict):
        raise InputError(f"{path}{where}: {_NOT_A_SNAPSHOT}, found {_kind(doc)}")
    header = _header(doc, path, where)
    if header.get("source") == "template" and "unknowns" in doc:
        # a `template rows` file: its unknowns travel with the header (iac.rowsfile reads them)
        header = {**header, "unknowns": doc["unknowns"]}
    if "data" in doc and "value" in doc:
        raise InputError(
            f"{path}{where}: has both a 'data' and a 'value' array; which rows are meant "
            "cannot be told"
        )
    for key in ("data", "value"):
        if key not in doc:
            continue
        rows = doc[key]
        if isinstance(rows, dict) and "rows" in rows and "columns" in rows:
            rows = _table_rows(rows, path)
        if not isinstance(rows, list):
            raise InputError(
                f"{path}{where}: '{key}' must be an array of rows, found {_kind(rows)}"
            )
        why = truncation(doc, rows)
        gaps = [Gap(f"snapshot {path} is truncated: {why}")] if why else []
        return SnapshotFile(rows, header, gaps), key
    if HEADER_KEY in doc:
        raise InputError(
            f"{path}{where}: has an '{HEADER_KEY}' header but no 'data' array of rows; a "
            "snapshot that holds no rows cannot be told from a cut-off one (an empty scope is "
            'written as "data": [])'
        )
    if "id" in doc:
        return SnapshotFile([doc]), None
    raise InputError(f"{path}{where}: {_NOT_A_SNAPSHOT}")


def _loads(text: str, path: Path, where: str = "", line: int = 0, fast: bool = True) -> Any:
    """Strict JSON (see :mod:`amlguard.jsonstrict`); errors name the file and position."""
    try:
        return jsonstrict.loads(text, fast=fast)
    except jsonstrict.StrictJSONError as exc:
        at = f"{line}:{exc.colno}" if line else f"{exc.lineno}:{exc.colno}"
        raise InputError(f"{path}:{at}: {exc.msg}") from None


def load_snapshot(path: Path) -> SnapshotFile:
    """Rows, header and gaps of one snapshot file; InputError naming the file and position."""
    return _load_bytes(_read_bytes(path), path)


def _load_bytes(raw: bytes, path: Path) -> SnapshotFile:
    """:func:`load_snapshot` of the file's bytes ``raw``."""
    # The usual file is read from its bytes by orjson, where that provably gives the strict
    # reading of its text (amlguard.jsonfast; no decoded copy of a large file is made). Any
    # doubt decodes the text and reads it strictly, as always, which words every error.
    doc = jsonfast.loads(raw)
    if doc is jsonfast.DOUBT:
        text = _decode(raw, path)
        if not text or text.isspace():  # not strip(): that copies the whole text
            raise InputError(f"{path}: snapshot file is empty")
        try:
            # The fast path read these very bytes already, unless a BOM hid the text from it.
            doc = _loads(text, path, fast=raw[:3] == b"\xef\xbb\xbf" or raw[:2] in _UTF16_BOMS)
        except json.JSONDecodeError as first:
            return _read_json_lines(text, path, first)
    snap, key = _parse_document(doc, path, "")
    _check_rows(snap.rows, path, lambda i: "" if key is None else f": {key}[{i}]")
    return snap


def _proven(raw: bytes, path: Path) -> bool:
    """Whether :func:`_load_bytes` reads ``raw`` on its fast path, every check passed: then it
    returns exactly :func:`_unproven`'s reading (orjson's document, parsed the same way)."""
    doc = jsonfast.loads(raw)
    if doc is jsonfast.DOUBT:
        return False
    try:
        snap, _key = _parse_document(doc, path, "")
        _check_rows(snap.rows, path, lambda i: "")
    except InputError:
        return False
    return True


def _unproven(raw: bytes, path: Path) -> SnapshotFile | None:
    """orjson's reading of ``raw`` as a snapshot, none of :func:`_proven`'s checks made (None
    where orjson is missing). Any exception means: not proven, the serial reading decides."""
    if jsonfast.orjson is None:
        return None
    return _parse_document(jsonfast.orjson.loads(raw), path, "")[0]


def read_snapshot(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows and header of one snapshot file (see :func:`load_snapshot` for its gaps too)."""
    snap = load_snapshot(path)
    return snap.rows, snap.header


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(jsonstrict.loads(line), dict)
    except ValueError:
        return False


def _read_json_lines(text: str, path: Path, first: json.JSONDecodeError) -> SnapshotFile:
    # Split on "\n" only: str.splitlines() would also split inside strings holding U+2028.
    lines = text.split("\n")
    # A single-document file that fails to parse is reported at its own position, not as JSONL.
    nonempty = [ln for ln in lines if ln.strip()]
    if len(nonempty) < 2 or not _is_json_object(nonempty[0]):
        raise InputError(f"{path}:{_position(text, first.pos)}: invalid JSON: {first.msg}")
    out = SnapshotFile([])
    numbers: list[int] = []
    listed = False  # a line held rows or a row array (an explicit "data": [] included)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = _loads(line, path, line=number)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{number}:{exc.colno}: invalid JSON Lines record: {exc.msg}"
            ) from None
        if isinstance(doc, dict) and HEADER_KEY in doc and len(doc) == 1:
            if out.header:  # concatenated files: the earlier header's gaps still hold
                out.gaps += header_gaps(out.header, path)
            out.header = _header(doc, path, f":{number}:1")
            continue
        if isinstance(doc, dict) and not any(k in doc for k in ("data", "value", HEADER_KEY)):
            got = [doc]  # a row; a missing id is reported below with the line number
        elif isinstance(doc, (dict, list)):
            part, _ = _parse_document(doc, path, f":{number}:1")
            got = part.rows
            listed = True
            out.gaps += part.gaps
            if part.header:
                if out.header:
                    out.gaps += header_gaps(out.header, path)
                out.header = part.header
        else:
            got = [doc]
        out.rows.extend(got)
        numbers.extend([number] * len(got))
    if not out.rows and not listed:
        raise InputError(f"{path}: has an '{HEADER_KEY}' header line but no rows")
    _check_rows(out.rows, path, lambda i: f":{numbers[i]}:1")
    return out


class SnapshotSource(Source):
    """Rows from one or more snapshot files (later files win on duplicate ids)."""

    def __init__(
        self, paths: list[Path], verify_ahead: bool = False, read: bytes | None = None
    ) -> None:
        if not paths:
            raise InputError("no snapshot file given")
        self.paths = paths
        #: one large file: verified in a forked process while the caller scans its rows
        #: (:mod:`~amlguard.scanner.sources.snapshotahead`; ``Collected.pending``)
        self.verify_ahead = verify_ahead and len(paths) == 1
        #: the one file's bytes, read already (a scan again of exactly what was read)
        self.read = read if len(paths) == 1 else None

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        """Read every file in order; the inventory keeps the last row of each id."""
        if self.verify_ahead:
            return self._collect_ahead(needs, progress)
        snaps = []
        for path in self.paths:
            if progress:
                progress(f"reading {path}")
            read = self.read
            snaps.append(load_snapshot(path) if read is None else _load_bytes(read, path))
        return self._collected(snaps)

    def _collect_ahead(self, needs: Needs, progress: Callable[[str], None] | None) -> Collected:
        """:meth:`collect` of one file whose checks a forked verifier makes (``pending``; the
        caller runs inside :func:`snapshotahead.reaped`). Where the unchecked reading fails in
        any way, the file's bytes are read the serial way, which words the error."""
        path = self.paths[0]
        if progress:
            progress(f"reading {path}")
        raw = _read_bytes(path)
        serial = SnapshotSource([path], read=raw)  # the same bytes, verified first
        pending = snapshotahead.start(lambda: _proven(raw, path), len(raw), serial)
        if pending is None:
            return serial.collect(needs)
        try:
            snap = _unproven(raw, path)
            if snap is not None:
                collected = self._collected([snap])
                collected.pending = pending
                return collected
        except Exception:  # not proven (a 990-level document, say): the serial reading decides
            pass
        pending.close()
        return serial.collect(needs)

    def _collected(self, snaps: list[SnapshotFile]) -> Collected:
        """The rows, header and gaps of the files read, in order."""
        rows: list[dict[str, Any]] = []
        headers = []
        gaps: list[Gap] = []
        for path, snap in zip(self.paths, snaps, strict=True):
            rows.extend(snap.rows)
            gaps.extend(snap.gaps)
            if snap.header:
                headers.append(snap.header)
                gaps.extend(header_gaps(snap.header, path))
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
    from amlguard.outputfile import write_output

    if path.suffix.lower() == ".gz":
        import gzip  # only to write a .gz snapshot: not on a check's start-up path

        data = gzip.compress(data, mtime=0)
    write_output(path, data, "snapshot")
