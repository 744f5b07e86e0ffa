"""A local HTTPS Azure Resource Manager emulator that the real SDK clients talk to.

Loopback only, TLS with a throwaway CA (trustme), any bearer token accepted. The core here gives:
state keyed by lower-cased id (loaded from the same estate files ``--snapshot`` reads), generic
ARM GET/list/PUT/PATCH/DELETE, custom routes (``@emu.route``), a request journal, injectable
faults, long-running operations (Location or Azure-AsyncOperation, always with
``Retry-After-Ms`` so clients never sleep 30 s), and a Resource Graph view of the state that can
lag behind ARM writes. Service-specific behaviour (Resource Graph queries, workspaces, role
assignments, private endpoints) lives in sibling modules that register routes on an emulator.

Recipes and pitfalls: ``shared/docs/azure-facts.md`` (Part 2).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import trustme

Handler = Callable[["Request", re.Match[str]], "Response"]

_ARG_ONLY_KEYS = ("resourceGroup", "subscriptionId")


@dataclass
class Request:
    """One request as the emulator saw it (the journal keeps these)."""

    method: str
    path: str  # unquoted, without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: Any
    time: float = field(default_factory=time.monotonic)
    raw: bytes = field(default=b"", repr=False)  # the body as sent (gzip for Logs Ingestion)

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")


@dataclass
class Response:
    """What a handler returns."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """An injected failure: the next ``times`` requests matching method and path get it."""

    method: str
    path_re: str
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # wait this long first; with status 0, then answer as usual
    body_re: str | None = None  # also match the JSON request body (e.g. one Resource Graph table)

    def matches(self, req: Request) -> bool:
        if self.body_re is not None and not re.search(self.body_re, json.dumps(req.body), re.I):
            return False
        return (self.method in ("*", req.method)) and re.search(
            self.path_re, req.path, re.I
        ) is not None


@dataclass
class Operation:
    """A long-running operation: ``polls`` in-progress answers, then the final one."""

    polls: int
    kind: str  # "location" or "async"
    final_status: int
    final_body: Any
    on_complete: Callable[[], None] | None = None
    failed: bool = False


def arm_error(status: int, code: str, message: str) -> Response:
    """ARM's error envelope."""
    return Response(status, {"error": {"code": code, "message": message}})


def _providers_tail(path: str) -> list[str]:
    low = path.lower().split("/")
    if "providers" not in low:
        return []
    i = len(low) - 1 - low[::-1].index("providers")
    return path.split("/")[i + 1 :]


def is_collection(path: str) -> bool:
    """A path names a collection when an odd number of segments follow the last provider namespace.

    (``.../providers/NS/type`` or ``.../providers/NS/type/name/child``; extension resources such as
    ``.../workspaces/ws/providers/Microsoft.Authorization/roleAssignments`` included.)
    """
    tail = _providers_tail(path)
    return bool(tail) and len(tail) % 2 == 0


class _QuietServer(ThreadingHTTPServer):
    """A client that went away (a killed process, an interrupted test) is not the emulator's
    error: no traceback on whatever ``sys.stderr`` happens to be (another test's capture)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, OSError)):
            return
        super().handle_error(request, client_address)


class Emulator:
    """The emulator: start it, point clients at ``url`` with ``ca_path``, inspect ``journal``."""

    def __init__(self, rows: Iterable[dict[str, Any]] = (), *, arg_lag: float = 0.0) -> None:
        self.state: dict[str, dict[str, Any]] = {}
        self.arg_view: dict[str, dict[str, Any]] = {}
        self._pending: list[tuple[float, str, dict[str, Any] | None]] = []
        self.arg_lag = arg_lag
        self.journal: list[Request] = []
        self.faults: list[Fault] = []
        self.operations: dict[str, Operation] = {}
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._op_ids = itertools.count(1)
        self._mutations = 0  # bumps on every write/delete: invalidates the children index
        self._children: dict[str, list[str]] = {}
        self._children_at: tuple[int, int] = (-1, -1)
        self.lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="amlguard-emu-")
        self.ca_path = str(Path(self._tmp.name) / "ca.pem")
        self.url = ""
        self.load(rows)
        self.route("GET", r"/amlguard-emulator/operations/(?P<op>[^/]+)")(self._poll)

    # ------------------------------------------------------------------ state

    def load(self, rows: Iterable[dict[str, Any]]) -> None:
        """Add estate rows (Resource Graph shape); both views see them at once."""
        with self.lock:
            for row in rows:
                key = str(row["id"]).lower()
                self.state[key] = copy.deepcopy(row)
                self.arg_view[key] = copy.deepcopy(row)
            self._mutations += 1

    def write(self, resource: dict[str, Any]) -> None:
        """Store an ARM write; Resource Graph sees it ``arg_lag`` seconds later."""
        key = str(resource["id"]).lower()
        with self.lock:
            self.state[key] = resource
            self._mutations += 1
            self._pending.append((time.monotonic() + self.arg_lag, key, copy.deepcopy(resource)))

    def delete(self, resource_id: str) -> bool:
        key = resource_id.lower().rstrip("/")
        with self.lock:
            gone = self.state.pop(key, None)
            self._mutations += 1
            self._pending.append((time.monotonic() + self.arg_lag, key, None))
        return gone is not None

    def get(self, resource_id: str) -> dict[str, Any] | None:
        return self.state.get(resource_id.lower().rstrip("/"))

    def arg_rows(self) -> list[dict[str, Any]]:
        """The rows Resource Graph would answer with now (writes older than the lag applied)."""
        with self.lock:
            now = time.monotonic()
            due = [p for p in self._pending if p[0] <= now]
            self._pending = [p for p in self._pending if p[0] > now]
            for _, key, row in due:
                if row is None:
                    self.arg_view.pop(key, None)
                else:
                    self.arg_view[key] = _as_arg_row(row)
            return list(self.arg_view.values())

    # ------------------------------------------------------------------ behaviour

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register a handler for ``method`` and a path regex (full match, case-insensitive)."""

        def register(handler: Handler) -> Handler:
            self._routes.insert(0, (method.upper(), re.compile(pattern, re.I), handler))
            return handler

        return register

    def add_fault(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def lro(
        self,
        final_body: Any,
        *,
        kind: str = "location",
        initial_status: int = 202,
        initial_body: Any = None,
        polls: int = 1,
        final_status: int = 200,
        on_complete: Callable[[], None] | None = None,
        failed: bool = False,
    ) -> Response:
        """Start a long-running operation and return its initial response."""
        op_id = str(next(self._op_ids))
        self.operations[op_id] = Operation(
            polls, kind, final_status, final_body, on_complete, failed
        )
        url = f"{self.url}/amlguard-emulator/operations/{op_id}?api-version=2024-01-01"
        header = "Location" if kind == "location" else "Azure-AsyncOperation"
        return Response(initial_status, initial_body, {header: url, "Retry-After-Ms": "10"})

    def _poll(self, req: Request, match: re.Match[str]) -> Response:
        op = self.operations.get(match.group("op"))
        if op is None:
            return arm_error(404, "OperationNotFound", "no such operation")
        headers = {"Retry-After-Ms": "10"}
        if op.polls > 0:
            op.polls -= 1
            if op.kind == "location":
                headers["Location"] = f"{self.url}{req.path}?api-version=2024-01-01"
                return Response(202, None, headers)
            return Response(200, {"status": "InProgress"}, headers)
        if op.on_complete is not None:
            op.on_complete()
            op.on_complete = None
        if op.failed:
            if op.kind == "location":
                return arm_error(400, "OperationFailed", "the operation failed")
            return Response(
                200,
                {
                    "status": "Failed",
                    "error": {"code": "OperationFailed", "message": "the operation failed"},
                },
            )
        if op.kind == "location":
            return Response(op.final_status, op.final_body)
        return Response(200, {"status": "Succeeded"})

    def requests(self, method: str | None = None, contains: str | None = None) -> list[Request]:
        """Journal entries filtered by method and a case-insensitive path substring."""
        return [
            r
            for r in list(self.journal)
            if (method is None or r.method == method.upper())
            and (contains is None or contains.lower() in r.path.lower())
        ]

    def writes(self) -> list[Request]:
        """Every request that could change state (PUT, PATCH, DELETE, POST other than queries)."""
        return [
            r
            for r in list(self.journal)
            if r.method in ("PUT", "PATCH", "DELETE")
            or (
                r.method == "POST"
                and "microsoft.resourcegraph" not in r.path.lower()
                and "/providers/microsoft.authorization/permissions" not in r.path.lower()
            )
        ]

    # ------------------------------------------------------------------ dispatch

    def handle(self, req: Request) -> Response | None:
        """Answer one request; ``None`` means drop the connection."""
        delay = 0.0
        answer: Response | None = None
        with self.lock:
            self.journal.append(req)
            for fault in self.faults:
                if fault.times > 0 and fault.matches(req):
                    fault.times -= 1
                    delay = fault.delay
                    if fault.drop:
                        return None
                    if fault.status:
                        answer = Response(
                            fault.status, copy.deepcopy(fault.body), dict(fault.headers)
                        )
                    break
        if delay:
            time.sleep(delay)
        if answer is not None:
            return answer
        for method, pattern, handler in self._routes:
            if method in ("*", req.method):
                match = pattern.fullmatch(req.path)
                if match:
                    return handler(req, match)
        if not req.path.startswith("/amlguard-emulator") and req.api_version is None:
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        return self._generic(req)

    def _generic(self, req: Request) -> Response:
        path = req.path.rstrip("/")
        if req.method == "GET" and is_collection(path):
            return self._list(req, path)
        if req.method == "GET":
            found = self.get(path)
            if found is None:
                return arm_error(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
            return Response(200, as_arm_body(found))
        if req.method == "PUT":
            existed = self.get(path) is not None
            body = copy.deepcopy(req.body) if isinstance(req.body, dict) else {}
            body.update({"id": path, "name": path.rsplit("/", 1)[-1]})
            body.setdefault("type", _type_of(path))
            self.write(body)
            return Response(200 if existed else 201, as_arm_body(body))
        if req.method == "PATCH":
            found = self.get(path)
            if found is None:
                return arm_error(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
            merged = deep_merge(copy.deepcopy(found), req.body or {})
            self.write(merged)
            return Response(200, as_arm_body(merged))
        if req.method == "DELETE":
            return Response(200 if self.delete(path) else 204)
        return arm_error(404, "NotFound", f"No route for {req.method} {req.path}")

    def children(self, path: str) -> list[dict[str, Any]]:
        """The stored resources directly under ``path``, by id.

        Indexed once per state change, not scanned per request: a benchmark lists the zone
        groups of tens of thousands of endpoints in an estate of a hundred thousand rows.
        """
        with self.lock:
            version = (self._mutations, len(self.state))
            if self._children_at != version:
                index: dict[str, list[str]] = {}
                for key in self.state:
                    index.setdefault(key.rsplit("/", 1)[0], []).append(key)
                self._children, self._children_at = index, version
            keys = sorted(self._children.get(path.lower(), []))
            return [self.state[k] for k in keys if k in self.state]

    def _list(self, req: Request, path: str) -> Response:
        items = self.children(path)
        start = int(req.query.get("$skiptoken", "0") or 0)
        page = items[start : start + 100]
        body: dict[str, Any] = {"value": [as_arm_body(r) for r in page]}
        if start + 100 < len(items):
            body["nextLink"] = (
                f"{self.url}{req.path}?api-version={req.api_version}&$skiptoken={start + 100}"
            )
        return Response(200, body)

    # ------------------------------------------------------------------ lifecycle

    def start(self, port: int = 0) -> Emulator:
        """Serve on 127.0.0.1 (``port`` 0: an ephemeral one)."""
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(self.ca_path)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        emulator = self

        class _Handler(_RequestHandler):
            emu = emulator

        self._httpd = _QuietServer(("127.0.0.1", port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self._tmp.cleanup()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else delayed ACK costs ~40 ms per request
    emu: Emulator

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        # An encoded body (gzip for Logs Ingestion) is the route's to decode, from ``raw``.
        if raw and not self.headers.get("Content-Encoding"):
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = raw.decode("utf-8", "replace")
        req = Request(
            method=self.command,
            path=unquote(parts.path),
            query={
                k.lower() if k.lower() == "$skiptoken" else k: v
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            },
            headers={k.lower(): v for k, v in self.headers.items()},
            body=copy.deepcopy(body),
            raw=raw,
        )
        try:
            resp = self.emu.handle(req)
        except Exception as exc:  # an emulator bug must surface as a 500, not a hang
            resp = arm_error(500, "EmulatorError", f"{type(exc).__name__}: {exc}")
        if resp is None:
            self.close_connection = True
            self.connection.close()
            return
        payload = b"" if resp.body is None else json.dumps(resp.body).encode()
        self.send_response(resp.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", "emulator")
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = do_HEAD = _serve


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7396) as ARM applies PATCH bodies: null removes a key."""
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def as_arm_body(row: dict[str, Any]) -> dict[str, Any]:
    """An ARM GET body from a stored row (drops Resource Graph's extra columns)."""
    body = copy.deepcopy(row)
    for key in _ARG_ONLY_KEYS:
        body.pop(key, None)
    return body


def _as_arg_row(resource: dict[str, Any]) -> dict[str, Any]:
    row = copy.deepcopy(resource)
    rid = str(row["id"])
    parts = rid.split("/")
    row["type"] = str(row.get("type") or _type_of(rid)).lower()
    low = [p.lower() for p in parts]
    if "subscriptions" in low:
        row.setdefault("subscriptionId", parts[low.index("subscriptions") + 1])
    if "resourcegroups" in low:
        row.setdefault("resourceGroup", parts[low.index("resourcegroups") + 1].lower())
    row.setdefault("name", parts[-1])
    return row


def _type_of(resource_id: str) -> str:
    tail = _providers_tail(resource_id)
    if not tail:
        return ""
    return "/".join([tail[0], *tail[1::2]])
