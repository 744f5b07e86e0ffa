"""The emulator's Resource Graph endpoint: runs the KQL amlguard sends against the emulator's state.

It implements exactly the subset of KQL that ``amlguard/scanner/sources/kql.py`` emits (a table,
``where`` with ``=~ == in~ startswith endswith contains and or`` over columns, dotted properties, ``tolower()`` and
``tostring()``, and ``project``) and answers anything else with a 400, so a query outside the
subset fails loudly instead of returning canned rows. Scoping by ``subscriptions`` or
``managementGroups`` (or the whole tenant), paging with ``$skipToken`` that honours ``$top``,
quota headers with real 429s, forbidden subscriptions and the tenant subscription limit are
modelled as azure-facts.md section 1 describes.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.emulator.server import Emulator, Request, Response, arm_error

PATH = r"/providers/Microsoft\.ResourceGraph/resources"
SUBSCRIPTION = "microsoft.resources/subscriptions"
ROLE_ASSIGNMENT = "microsoft.authorization/roleassignments"
ZONE_GROUP = "microsoft.network/privateendpoints/privatednszonegroups"
ROLE_DEFINITION = "microsoft.authorization/roledefinitions"
#: child types Resource Graph does not index (read through ARM lists)
NOT_INDEXED = (
    ZONE_GROUP,
    "microsoft.network/dnsforwardingrulesets/virtualnetworklinks",
    "microsoft.network/dnsforwardingrulesets/forwardingrules",
    "microsoft.network/virtualhubs/hubvirtualnetworkconnections",
    "microsoft.machinelearningservices/workspaces/computes",
    "microsoft.machinelearningservices/workspaces/connections",
    "microsoft.machinelearningservices/workspaces/datastores",
    "microsoft.machinelearningservices/workspaces/featuresets",
    "microsoft.machinelearningservices/workspaces/featuresets/versions",
)
COLUMNS = {
    "id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
    "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation",
}  # fmt: skip
TABLES = ("resources", "authorizationresources", "resourcecontainers")


class QueryError(Exception):
    """The query is outside the supported subset (answered with a 400)."""


# ---------------------------------------------------------------- the KQL subset

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<op>=~|==|in~|\||\(|\)|,|\.)|(?P<word>[A-Za-z_]\w*))"
)


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, value) pairs; kind is ``str``, ``op`` or ``word``."""
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"unsupported syntax at position {pos}: {text[pos : pos + 20]!r}")
        pos = m.end()
        if m.group("str") is not None:
            raw = m.group("str")[1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", raw)))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            out.append(("word", m.group("word")))
    return out


Predicate = Callable[[dict[str, Any]], bool]
Getter = Callable[[dict[str, Any]], Any]


@dataclass
class Query:
    """A parsed query: its table, filters and projected columns."""

    table: str
    filters: list[Predicate] = field(default_factory=list)
    columns: list[str] | None = None


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (kind and tok[0] != kind) or (value and tok[1].lower() != value):
            raise QueryError(f"expected {value or kind} at token {self.i}, got {tok}")
        self.i += 1
        return tok[1]

    def query(self) -> Query:
        table = self.take("word").lower()
        if table not in TABLES:
            raise QueryError(f"unsupported table {table!r}")
        q = Query(table)
        while self.peek() is not None:
            self.take("op", "|")
            verb = self.take("word").lower()
            if verb == "where":
                q.filters.append(self.disjunction())
            elif verb == "project":
                if q.columns is not None:
                    raise QueryError("only one project is supported")
                q.columns = self.columns()
            else:
                raise QueryError(f"unsupported operator {verb!r}")
        return q

    def columns(self) -> list[str]:
        cols = [self.take("word")]
        while self.peek() == ("op", ","):
            self.take("op", ",")
            cols.append(self.take("word"))
        unknown = [c for c in cols if c not in COLUMNS]
        if unknown:
            raise QueryError(f"unknown column(s) {unknown}")
        return cols

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() and self.peek()[1].lower() == "or":  # type: ignore[index]
            self.take("word", "or")
            parts.append(self.conjunction())
        return lambda row: any(p(row) for p in parts)

    def conjunction(self) -> Predicate:
        parts = [self.comparison()]
        while self.peek() and self.peek()[1].lower() == "and":  # type: ignore[index]
            self.take("word", "and")
            parts.append(self.comparison())
        return lambda row: all(p(row) for p in parts)

    def comparison(self) -> Predicate:
        left = self.term()
        tok = self.peek()
        if tok is None:
            raise QueryError("incomplete comparison")
        self.i += 1
        op = tok[1].lower()
        if op == "in~":
            values = {v.lower() for v in self.string_list()}
            return lambda row: _text(left(row)).lower() in values
        right = self.take("str")
        if op == "=~":
            return lambda row: _text(left(row)).lower() == right.lower()
        if op == "==":
            return lambda row: _text(left(row)) == right
        if op == "endswith":
            return lambda row: _text(left(row)).lower().endswith(right.lower())
        if op == "startswith":  # case-insensitive, as in KQL (startswith_cs is the other one)
            return lambda row: _text(left(row)).lower().startswith(right.lower())
        if op == "contains":  # case-insensitive, as in KQL (contains_cs is the other one)
            return lambda row: right.lower() in _text(left(row)).lower()
        raise QueryError(f"unsupported comparison {op!r}")

    def string_list(self) -> list[str]:
        self.take("op", "(")
        values = [self.take("str")]
        while self.peek() == ("op", ","):
            self.take("op", ",")
            values.append(self.take("str"))
        self.take("op", ")")
        return values

    def term(self) -> Getter:
        name = self.take("word")
        if self.peek() == ("op", "("):
            fn = name.lower()
            if fn not in ("tolower", "tostring"):
                raise QueryError(f"unsupported function {name!r}")
            self.take("op", "(")
            inner = self.term()
            self.take("op", ")")
            if fn == "tolower":
                return lambda row: _text(inner(row)).lower()
            return lambda row: _text(inner(row))
        if name not in COLUMNS:
            raise QueryError(f"unknown column {name!r}")
        path = [name]
        while self.peek() == ("op", "."):
            self.take("op", ".")
            path.append(self.take("word"))
        return lambda row: _dig(row, path)


def parse(text: str) -> Query:
    """Parse one query of the supported subset; QueryError otherwise."""
    return _Parser(text).query()


def _dig(row: dict[str, Any], path: list[str]) -> Any:
    value: Any = row
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


# ---------------------------------------------------------------- the endpoint


def timespan(seconds: float) -> str:
    """A .NET TimeSpan ``hh:mm:ss.fffffff``, as Resource Graph's quota header carries it."""
    seconds = max(0.0, seconds)
    whole = int(seconds)
    frac = f"{seconds - whole:.7f}"[1:]
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}{frac}"


@dataclass
class ResourceGraph:
    """Resource Graph on an emulator; configure fields directly in tests."""

    emu: Emulator
    quota: int = 15
    window: float = 5.0
    retry_after: float | None = None  # Retry-After seconds on a quota 429 (None: no header)
    forbidden: set[str] = field(default_factory=set)
    management_groups: dict[str, list[str]] = field(default_factory=dict)
    subscriptions: set[str] = field(default_factory=set)  # besides those the rows name
    subscription_names: dict[str, str] = field(default_factory=dict)  # id -> display name
    resource_groups: set[str] = field(default_factory=set)  # empty groups, by id
    subscription_limit: int | None = None  # tenant/MG scope: first N subs + the limit header
    root_group: str = "tenant-root-group"  # the management group above every other
    default_top: int = 100
    #: more types this Resource Graph does not index (e.g. ML registries: section 8 of
    #: real-estates.md doubts ARG has them), read through ARM instead
    unindexed: set[str] = field(default_factory=set)
    throttled: int = 0  # 429s this endpoint answered because the quota ran out
    _window_end: float = 0.0
    _used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cache: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def quota_headers(self) -> tuple[bool, dict[str, str]]:
        """Count one query against the window; (allowed, headers)."""
        with self._lock:
            now = time.monotonic()
            if now >= self._window_end:
                self._window_end, self._used = now + self.window, 0
            allowed = self._used < self.quota
            if allowed:
                self._used += 1
            headers = {
                "x-ms-user-quota-remaining": str(self.quota - self._used),
                "x-ms-user-quota-resets-after": timespan(self._window_end - now),
            }
            if not allowed:
                self.throttled += 1
        return allowed, headers

    def handle(self, req: Request, match: re.Match[str]) -> Response:
        allowed, headers = self.quota_headers()
        if not allowed:
            resp = _error(429, "RateLimiting", "Client application has been throttled")
            if self.retry_after is not None:
                headers["Retry-After"] = f"{self.retry_after:g}"
            resp.headers.update(headers)
            return resp
        resp = self._answer(req)
        resp.headers.update(headers)
        return resp

    def _answer(self, req: Request) -> Response:
        body = req.body if isinstance(req.body, dict) else {}
        if not req.api_version:
            return _error(400, "MissingApiVersionParameter", "api-version is required")
        if not isinstance(body.get("query"), str):
            return _error(400, "BadRequest", "the request needs a 'query'")
        options = body.get("options") or {}
        if str(options.get("resultFormat", "objectArray")).lower() != "objectarray":
            return _error(400, "BadRequest", "the emulator answers objectArray only")
        try:
            query = parse(body["query"])
        except QueryError as exc:
            return _error(400, "InvalidQuery", f"Query is invalid: {exc}")
        scope = self._scope(body)
        if isinstance(scope, Response):
            return scope
        subs, limit_hit, tenant = scope
        top = min(int(options.get("$top") or self.default_top), 1000)
        token = options.get("$skipToken")
        if token:
            try:
                state = json.loads(base64.b64decode(token))
                rows = self._cache[state["key"]]
                offset = int(state["offset"])
            except (ValueError, KeyError, TypeError):
                return _error(400, "InvalidSkipToken", "the $skipToken is not valid")
        else:
            rows = self._run(query, subs, tenant)
            scope_filter = str(options.get("authorizationScopeFilter") or "AtScopeAndBelow")
            if query.table == "authorizationresources" and "above" in scope_filter.lower():
                rows = sorted(
                    rows + self._above(query, subs, tenant),
                    key=lambda r: str(r.get("id", "")).lower(),
                )
            key = str(next(self._ids))
            self._cache[key] = rows
            while len(self._cache) > 256:  # a demo emulator serves for hours: keep recent ones
                self._cache.pop(next(iter(self._cache)))
            state, offset = {"key": key}, 0
        page = rows[offset : offset + top]
        out: dict[str, Any] = {
            "totalRecords": len(rows),
            "count": len(page),
            "resultTruncated": "false",
            "facets": [],
            "data": page,
        }
        more = offset + top < len(rows)
        if more and query.columns is not None and "id" not in query.columns:
            out["resultTruncated"] = "true"  # no id projected: Resource Graph cannot page
        elif more:
            out["$skipToken"] = base64.b64encode(
                json.dumps({"key": state["key"], "offset": offset + top}).encode()
            ).decode()
        resp = Response(200, out)
        if limit_hit:
            resp.headers["x-ms-tenant-subscription-limit-hit"] = "true"
        return resp

    def known_subscriptions(self) -> list[str]:
        subs = {
            str(r.get("subscriptionId") or "") for r in self.emu.arg_rows()
        } | self.subscriptions
        return sorted((s for s in subs if s), key=str.lower)

    def _scope(self, body: dict[str, Any]) -> Response | tuple[set[str], bool, bool]:
        forbidden = {s.lower() for s in self.forbidden}
        if body.get("subscriptions"):
            readable = {s.lower() for s in body["subscriptions"]} - forbidden
            if not readable:
                return _error(403, "AuthorizationFailed", "no access to any requested subscription")
            return readable, False, False
        if body.get("managementGroups"):
            groups = {k.lower(): v for k, v in self.management_groups.items()}
            unknown = [g for g in body["managementGroups"] if g.lower() not in groups]
            if unknown:
                return _error(
                    403, "AuthorizationFailed", f"no access to management group {unknown[0]}"
                )
            subs = [s for g in body["managementGroups"] for s in groups[g.lower()]]
            return (*self._limited(subs, forbidden), False)
        return (*self._limited(self.known_subscriptions(), forbidden), True)

    def _limited(self, subs: list[str], forbidden: set[str]) -> tuple[set[str], bool]:
        readable = [s.lower() for s in dict.fromkeys(subs) if s.lower() not in forbidden]
        if self.subscription_limit is not None and len(readable) > self.subscription_limit:
            return set(readable[: self.subscription_limit]), True
        return set(readable), False

    def _run(self, query: Query, subs: set[str], tenant: bool) -> list[dict[str, Any]]:
        table = self._table(query.table)
        rows = []
        for row in table:
            sub = str(row.get("subscriptionId") or "").lower()
            if (sub and sub not in subs) or (not sub and not tenant):
                continue
            if all(f(row) for f in query.filters):
                rows.append({c: row.get(c) for c in query.columns} if query.columns else row)
        return sorted(rows, key=lambda r: str(r.get("id", "")).lower())

    def groups_above(self, sub: str) -> list[str]:
        """The management groups a subscription is under, nearest first, the root group last."""
        above = [g for g, subs in self.management_groups.items() if sub.lower() in _lower(subs)]
        return [*sorted(above), self.root_group]

    def _above(self, query: Query, subs: set[str], tenant: bool) -> list[dict[str, Any]]:
        """Assignments at a management group above the scope's subscriptions, or at the root:
        what ``authorizationScopeFilter: AtScopeAboveAndBelow`` adds (tenant scope has them)."""
        if tenant:
            return []
        groups = {g.lower() for s in subs for g in self.groups_above(s)}
        out = []
        for row in self._table(query.table):
            # An assignment's scope is its id up to /providers/Microsoft.Authorization/...
            scope = str(row.get("id", "")).lower().split("/providers/microsoft.authorization/")[0]
            group = scope.rsplit("/", 1)[-1] if "/managementgroups/" in scope else None
            if row.get("subscriptionId") or not (scope == "" or group in groups):
                continue
            if all(f(row) for f in query.filters):
                out.append({c: row.get(c) for c in query.columns} if query.columns else row)
        return out

    def _resource_groups(self) -> list[dict[str, Any]]:
        rows = [_with_subscription(r) for r in self.emu.arg_rows()]
        return _resource_group_rows(rows, self.resource_groups)

    def _table(self, name: str) -> list[dict[str, Any]]:
        if name == "resourcecontainers":
            return self._resource_groups() + [
                {
                    "id": f"/subscriptions/{s}",
                    "name": self.subscription_names.get(s, s),
                    "type": SUBSCRIPTION,
                    "subscriptionId": s,
                    "tenantId": "",
                    "properties": {
                        "state": "Enabled",
                        "managementGroupAncestorsChain": [
                            {"name": g, "displayName": g} for g in self.groups_above(s)
                        ],
                    },
                }
                for s in self.known_subscriptions()
            ]
        rows = [_with_subscription(r) for r in self.emu.arg_rows()]
        authz = (ROLE_ASSIGNMENT, ROLE_DEFINITION)
        if name == "authorizationresources":
            return [r for r in rows if str(r.get("type", "")).lower() in authz]
        # Resource Graph indexes no role assignments here, and not the NOT_INDEXED children.
        hidden = {*authz, *NOT_INDEXED, *(t.lower() for t in self.unindexed)}
        return [r for r in rows if str(r.get("type", "")).lower() not in hidden]


def _resource_group_rows(rows: list[dict[str, Any]], extra: set[str]) -> list[dict[str, Any]]:
    """Resource groups as Resource Graph's resourcecontainers lists them: every group a row
    lives in, plus the empty ones the test declared (``/subscriptions/S/resourceGroups/G``)."""
    found: dict[str, str] = {}
    for row in rows:
        sub, rg = str(row.get("subscriptionId") or ""), str(row.get("resourceGroup") or "")
        if sub and rg:
            found.setdefault(f"/subscriptions/{sub}/resourceGroups/{rg}".lower(), "")
    for rid in extra:
        found.setdefault(rid.lower(), "")
    out = []
    for rid in sorted(found):
        parts = rid.split("/")
        out.append(
            {
                "id": rid,
                "name": parts[4],
                "type": "microsoft.resources/subscriptions/resourcegroups",
                "subscriptionId": parts[2],
                "resourceGroup": parts[4],
                "properties": {"provisioningState": "Succeeded"},
            }
        )
    return out


def _lower(values: list[str]) -> set[str]:
    return {v.lower() for v in values}


def _with_subscription(row: dict[str, Any]) -> dict[str, Any]:
    """Resource Graph fills ``subscriptionId`` from the id; estate rows may leave it out."""
    if row.get("subscriptionId"):
        return row
    parts = str(row.get("id", "")).split("/")
    if len(parts) > 2 and parts[1].lower() == "subscriptions":
        return {**row, "subscriptionId": parts[2]}
    return row


def _error(status: int, code: str, message: str) -> Response:
    return arm_error(status, code, message)


def install(emu: Emulator, **settings: Any) -> ResourceGraph:
    """Serve Resource Graph on ``emu``; keyword settings are ``ResourceGraph`` fields."""
    graph = ResourceGraph(emu, **settings)
    emu.route("POST", PATH)(graph.handle)
    return graph
