"""The Logs Ingestion API route: ``POST /dataCollectionRules/{id}/streams/{stream}``.

What the real service does, as fleet.md 1a captured it: the SDK POSTs a gzipped JSON array
with ``api-version=2023-01-01`` and a bearer token, and only 204 counts as success. This route
gunzips the body, checks every row against the stream's declared columns (unknown or reserved
names, wrong types: 400) and the 1 MB limit (413), records the accepted rows and answers 204.
A good body is parsed and checked in one C pass (:mod:`tests.emulator.streamfast`) and kept as
sent; :attr:`Ingestion.accepted` reads its rows with the reference parser when a test asks. A
body that pass is not certain of is parsed and checked by the reference, which words the 400.
Throttling (429 with or without ``Retry-After``), 503 and dropped connections come from the
emulator's faults (:func:`fail_next`, :func:`drop_next`). Error codes are invented (the
service's are not documented) and marked so.

The declared columns default to the stream declaration of the shipped example data collection
rule (``examples/log-analytics/azuredeploy.json``), so the rows the exporter sends are checked
against what an operator deploys.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.emulator.server import Emulator, Fault, Request, Response
from tests.emulator.streamcheck import StreamCheck, datetime_ok, gunzip, loads
from tests.emulator.streamfast import FastCheck

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "examples" / "log-analytics" / "azuredeploy.json"
ROUTE = r"/dataCollectionRules/(?P<dcr>[^/]+)/streams/(?P<stream>[^/]+)"
PATH_RE = r"^/dataCollectionRules/"
#: The service's limit per call, "both compressed and uncompressed data".
MAX_BYTES = 1024 * 1024
RESERVED = {"id", "type", "tenantid", "_resourceid", "_subscriptionid", "uniqueid", "title"}


def declared_streams(template: Path = TEMPLATE) -> dict[str, dict[str, str]]:
    """Stream name -> {column: type} from the ``streamDeclarations`` of an ARM template."""
    doc = json.loads(template.read_text(encoding="utf-8"))
    streams: dict[str, dict[str, str]] = {}
    for resource in doc["resources"]:
        if str(resource.get("type", "")).lower() != "microsoft.insights/datacollectionrules":
            continue
        for name, decl in resource["properties"]["streamDeclarations"].items():
            columns = decl["columns"]
            ref = (
                re.fullmatch(r"\[variables\('([^']+)'\)\]", columns)
                if isinstance(columns, str)
                else None
            )
            if ref:  # the template's one expression form here: a variable holding the list
                columns = doc["variables"][ref.group(1)]
            streams[name] = {c["name"]: c["type"].lower() for c in columns}
    return streams


@dataclass
class Ingestion:
    """What the route was told to accept, and what it accepted."""

    streams: dict[str, dict[str, str]]
    rule_id: str | None = None  # None: any dcr-... id
    max_bytes: int = MAX_BYTES
    #: (compressed bytes, uncompressed bytes, rows) of each accepted request
    bodies: list[tuple[int, int, int]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)

    _checks: dict[str, StreamCheck] = field(default_factory=dict, repr=False)
    _fast: dict[str, FastCheck] = field(default_factory=dict, repr=False)
    #: each accepted body as sent, and whether it is gzip: its rows are read when asked for
    _kept: list[tuple[bytes, bool]] = field(default_factory=list, repr=False)
    _rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _read: int = field(default=0, repr=False)  # bodies of ``_kept`` already in ``_rows``

    @property
    def accepted(self) -> list[dict[str, Any]]:
        """Every row accepted so far, in the order of the requests, as the reference parser
        reads them (the same objects the route judged; bodies are parsed when asked for)."""
        for raw, gzipped in self._kept[self._read :]:
            rows = loads(gunzip(raw) if gzipped else raw)
            if not isinstance(rows, list):  # the route accepted it: an array of rows
                raise AssertionError("an accepted body is not a JSON array")
            self._rows.extend(rows)
            self._read += 1
        return self._rows

    def keep(self, raw: bytes, gzipped: bool) -> None:
        """Record an accepted body (``raw`` as sent)."""
        self._kept.append((raw, gzipped))

    def stream(self, name: str) -> dict[str, str] | None:
        for declared, columns in self.streams.items():
            if declared.lower() == name.lower():
                return columns
        return None

    def check(self, name: str, rows: Any) -> str | None:
        """Why ``rows`` do not fit stream ``name`` (None when they do): the compiled check
        decides, :func:`check_rows` words a rejection."""
        columns = self.stream(name)
        if columns is None:
            return f"no stream {name}"
        check = self._checks.get(name.lower())
        if check is None:
            check = self._checks[name.lower()] = StreamCheck(columns, frozenset(RESERVED))
        if check(rows):
            return None
        return check_rows(rows, columns) or "the rows do not fit the stream"

    def fits(self, name: str, raw: bytes) -> int | None:
        """How many rows the JSON body ``raw`` holds when they certainly fit stream ``name``
        (one C pass); None when not certain: then :meth:`check` on the parsed body decides."""
        columns = self.stream(name)
        if columns is None:
            return None
        fast = self._fast.get(name.lower())
        if fast is None:
            fast = self._fast[name.lower()] = FastCheck(columns, frozenset(RESERVED))
        return fast.rows(raw)


def _error(status: int, code: str, message: str) -> Response:
    return Response(status, {"error": {"code": code, "message": message}})


def _type_ok(kind: str, value: Any) -> bool:
    if value is None or kind == "dynamic":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("int", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "real":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "datetime":
        return datetime_ok(value)
    return False


def _plan(names: tuple[str, ...], columns: dict[str, str]) -> list[tuple[str, str]] | str:
    """The (column, type) checks for rows with these keys, or why such rows do not fit."""
    plan = []
    for name in names:
        if name.lower() in RESERVED or name.startswith("_"):
            return f"column {name!r} is reserved"
        kind = columns.get(name)
        if kind is None:
            return f"column {name!r} is not declared by the stream"
        if kind != "dynamic":
            plan.append((name, kind))
    return plan


def check_rows(rows: Any, columns: dict[str, str]) -> str | None:
    """Why ``rows`` do not fit the stream (None when they do).

    Rows of one shape (the same keys) share one plan, and each distinct datetime text is parsed
    once: a benchmark sends a hundred thousand rows through here.
    """
    if not isinstance(rows, list):
        return "the body is not a JSON array"
    plans: dict[tuple[str, ...], list[tuple[str, str]] | str] = {}
    times: set[str] = set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            return f"row {i} is not an object"
        shape = tuple(row)
        plan = plans.get(shape)
        if plan is None:
            plan = plans[shape] = _plan(shape, columns)
        if isinstance(plan, str):
            return f"row {i}: {plan}"
        for name, kind in plan:
            value = row[name]
            if value is None or (kind == "string" and type(value) is str):
                continue
            if kind == "datetime" and type(value) is str and value in times:
                continue
            if not _type_ok(kind, value):
                return f"row {i}: column {name!r} is not a {kind}: {value!r:.60}"
            if kind == "datetime":
                times.add(value)
    return None


def install(
    emu: Emulator,
    streams: dict[str, dict[str, str]] | None = None,
    *,
    rule_id: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> Ingestion:
    """Add the ingestion route to ``emu``; the returned object records what it accepted."""
    state = Ingestion(streams if streams is not None else declared_streams(), rule_id, max_bytes)

    def reject(status: int, code: str, message: str) -> Response:
        with emu.lock:
            state.rejected.append((status, message))
        return _error(status, code, message)

    @emu.route("POST", ROUTE)
    def upload(req: Request, match: re.Match[str]) -> Response:
        if req.api_version != "2023-01-01":
            return reject(400, "InvalidApiVersion", f"api-version {req.api_version!r}")  # invented
        if not req.headers.get("authorization", "").startswith("Bearer "):
            return reject(401, "InvalidToken", "a bearer token is required")  # invented
        dcr = match.group("dcr")
        if not re.fullmatch(r"dcr-[0-9a-f]{32}", dcr) or (
            state.rule_id is not None and dcr != state.rule_id
        ):
            return reject(404, "DcrNotFound", f"no data collection rule {dcr}")  # invented
        columns = state.stream(match.group("stream"))
        if columns is None:
            return reject(400, "InvalidStream", f"no stream {match.group('stream')}")  # invented
        raw = req.raw
        if len(raw) > state.max_bytes:
            return reject(413, "ContentLengthLimitExceeded", f"{len(raw)} bytes compressed")
        gzipped = req.headers.get("content-encoding", "").lower() == "gzip"
        if gzipped:
            try:
                raw = gunzip(raw)
            except ValueError:
                return reject(400, "InvalidContentEncoding", "the body is not gzip")  # invented
        if len(raw) > state.max_bytes:
            return reject(413, "ContentLengthLimitExceeded", f"{len(raw)} bytes uncompressed")
        count = state.fits(match.group("stream"), raw)  # every row checked, in C
        if count is None:  # not certain: the reference parses, checks and words the verdict
            try:
                rows = loads(raw)
            except ValueError:
                return reject(400, "InvalidJson", "the body is not JSON")  # invented
            problem = state.check(match.group("stream"), rows)
            if problem:
                return reject(400, "InvalidStreamData", problem)  # invented
            count = len(rows)
        with emu.lock:
            state.keep(req.raw if gzipped else raw, gzipped)
            state.bodies.append((len(req.raw), len(raw), count))
        return Response(204)

    return state


def fail_next(
    emu: Emulator, status: int, times: int = 1, headers: dict[str, str] | None = None
) -> Fault:
    """The next ``times`` uploads get ``status`` (429, 503, 400, 413...) with ``headers``."""
    body = {"error": {"code": f"Http{status}", "message": "injected by the test"}}
    return emu.add_fault(
        Fault("POST", PATH_RE, status=status, headers=dict(headers or {}), body=body, times=times)
    )


def drop_next(emu: Emulator, times: int = 1) -> Fault:
    """The next ``times`` uploads lose their connection without an answer."""
    return emu.add_fault(Fault("POST", PATH_RE, times=times, drop=True))
