"""One Resource Graph query over one scope, all its pages, paced, retried and accounted for."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amlguard.scanner.sources import kql
from amlguard.scanner.sources.pacing import (
    BudgetExceeded,
    QuotaPacer,
    backoff,
    parse_retry_after,
)

_log = logging.getLogger("amlguard.resourcegraph")

PAGE_SIZE = 1000  # Resource Graph's maximum
# The newest stable version: azure-mgmt-resourcegraph 8.0.1 sends 2021-03-01, which has no
# authorizationScopeFilter (kql.options).
API_VERSION = "2024-04-01"
LIMIT_HIT = "x-ms-tenant-subscription-limit-hit"
_TRANSIENT = {408, 500, 502, 503, 504}


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a query looks: a batch of subscriptions, or management groups, or the tenant."""

    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.management_groups:
            return "management group(s) " + ", ".join(self.management_groups)
        if not self.subscriptions:
            return "the tenant"
        if len(self.subscriptions) == 1:
            return f"subscription {self.subscriptions[0]}"
        return f"{len(self.subscriptions)} subscriptions"


@dataclass(slots=True)
class Stats:
    """Collection figures (thread-safe counters); ``as_dict`` is what reports show."""

    arg_requests: int = 0
    pages: int = 0
    rows: int = 0
    throttled: int = 0
    retries: int = 0
    arm_gets: int = 0
    queries: int = 0
    subscriptions: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource_graph_requests": self.arg_requests,
            "pages": self.pages,
            "rows": self.rows,
            "throttled": self.throttled,
            "retries": self.retries,
            "arm_gets": self.arm_gets,
            "queries": self.queries,
            "subscriptions": self.subscriptions,
        }


@dataclass(slots=True)
class Outcome:
    """All rows of one query, or why it could not be read completely."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    forbidden: bool = False
    limit_hit: bool = False


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """How long and how often to retry; the budget bounds the whole collection."""

    max_retries: int = 5
    backoff_base: float = 0.5
    budget: float = 900.0


class QueryRunner:
    """Runs queries through a ResourceGraphClient built with ``retry_total=0`` (we retry here).

    Requests go through the client's own pipeline (``send_request``: its credential, endpoint,
    CA bundle and api-version) but the JSON is read as is: the generated model deserializer
    costs ~100 ms per 1,000-row page, a third of the quota's pace.
    """

    def __init__(
        self,
        client: Any,
        pacer: QuotaPacer,
        stats: Stats,
        retry: RetrySettings,
        on_page: Callable[[int], None] | None = None,
    ) -> None:
        self.client = client
        self.url = f"/providers/Microsoft.ResourceGraph/resources?api-version={API_VERSION}"
        self.pacer = pacer
        self.stats = stats
        self.retry = retry
        self.deadline = time.monotonic() + retry.budget
        self._on_page = on_page

    def run(self, name: str, query: str, scope: Scope) -> Outcome:
        """Every page of ``query`` over ``scope``: loops on ``$skipToken`` until there is none."""
        out = Outcome()
        token: str | None = None
        total: int | None = None
        while True:
            page = self._page(name, query, scope, token)
            if isinstance(page, Outcome):
                page.rows = out.rows
                return page
            body, headers = page
            data = body.get("data")
            if not isinstance(data, list) or not all(
                isinstance(r, dict) and r.get("id") for r in data
            ):
                return Outcome(
                    out.rows,
                    f"the {name} query on {scope.describe()} returned something other than "
                    "rows with an id",
                )
            out.rows.extend(data)
            self.stats.add(pages=1, rows=len(data))
            if self._on_page:
                self._on_page(len(data))
            if str(headers.get(LIMIT_HIT, "")).lower() == "true":
                out.limit_hit = True
            if total is None and isinstance(body.get("totalRecords"), int):
                total = body["totalRecords"]
            token = body.get("$skipToken")
            if token:
                continue
            truncated = str(body.get("resultTruncated") or "").lower() == "true"
            if truncated or (total is not None and len(out.rows) < total):
                out.error = (
                    f"Resource Graph truncated the result of the {name} query on "
                    f"{scope.describe()} ({len(out.rows)} of {total} rows)"
                )
            return out

    def _body(self, query: str, scope: Scope, token: str | None) -> dict[str, Any]:
        options: dict[str, Any] = {
            "$top": PAGE_SIZE,
            "resultFormat": "objectArray",
            **kql.options(query),
        }
        if token:
            options["$skipToken"] = token
        body: dict[str, Any] = {"query": query, "options": options}
        if scope.management_groups:
            body["managementGroups"] = list(scope.management_groups)
        elif scope.subscriptions:
            body["subscriptions"] = list(scope.subscriptions)
        return body

    def _send(self, query: str, scope: Scope, token: str | None) -> tuple[int, dict[str, str], Any]:
        from azure.core.rest import HttpRequest

        request = HttpRequest("POST", self.url, json=self._body(query, scope, token))
        # Generated clients name it ``send_request`` or, in azure-mgmt-resourcegraph 8,
        # ``_send_request`` (its docstring's documented way to send a custom request).
        send = getattr(self.client, "send_request", None) or self.client._send_request
        response = send(request)
        headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return response.status_code, headers, body

    def _page(
        self, name: str, query: str, scope: Scope, token: str | None
    ) -> tuple[dict[str, Any], dict[str, str]] | Outcome:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            ServiceRequestError,
            ServiceResponseError,
        )

        attempt = 0
        while True:
            try:
                self.pacer.acquire(self.deadline)
            except BudgetExceeded:
                return Outcome(error=self._budget_text(name, scope))
            started = time.monotonic()
            self.stats.add(arg_requests=1)
            headers: dict[str, str] = {}
            body: Any = None
            try:
                status, headers, body = self._send(query, scope, token)
            except ClientAuthenticationError as exc:
                raise AuthenticationFailed(str(exc).strip()) from None
            except (ServiceRequestError, ServiceResponseError) as exc:
                status, body = 0, f"connection failed: {_first_line(exc)}"
            finally:
                remaining, resets = self.pacer.observe(headers)
            _log.info(
                "%s query on %s: HTTP %s in %.3f s, quota remaining %s, resets after %s",
                name,
                scope.describe(),
                status or "none",
                time.monotonic() - started,
                remaining,
                "?" if resets is None else f"{resets:.2f} s",
            )
            if status == 200 and isinstance(body, dict):
                return body, headers
            if status == 401:
                raise AuthenticationFailed(f"Resource Graph answered 401: {_error_text(body)}")
            problem = body if isinstance(body, str) else _error_text(body)
            attempt += 1
            if status == 429:
                self.stats.add(throttled=1, retries=1)
                wait = parse_retry_after(headers)
                if wait is None and remaining == 0 and resets is not None:
                    wait = resets
                if wait is None:
                    wait = backoff(attempt, self.retry.backoff_base)
                if time.monotonic() + wait > self.deadline:
                    return Outcome(error=self._budget_text(name, scope))
                _log.info("throttled; every worker waits %.2f s", wait)
                self.pacer.pause(wait)
                continue
            if status == 403:
                return Outcome(
                    error=f"forbidden: the caller cannot read {scope.describe()} ({problem})",
                    forbidden=True,
                )
            if status in _TRANSIENT or status == 0 or status == 200:
                if attempt > self.retry.max_retries:
                    return Outcome(
                        error=f"the {name} query on {scope.describe()} still failed after "
                        f"{self.retry.max_retries} retries: {problem or f'HTTP {status}'}"
                    )
                self.stats.add(retries=1)
                wait = parse_retry_after(headers) or backoff(attempt, self.retry.backoff_base)
                if time.monotonic() + wait > self.deadline:
                    return Outcome(error=self._budget_text(name, scope))
                time.sleep(wait)
                continue
            return Outcome(
                error=f"the {name} query on {scope.describe()} was rejected: HTTP {status} {problem}"
            )

    def _budget_text(self, name: str, scope: Scope) -> str:
        return (
            f"the {name} query on {scope.describe()} did not finish within the "
            f"{self.retry.budget:g} s time budget"
        )


class AuthenticationFailed(Exception):
    """The credential could not produce a token, or the service refused it."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _error_text(body: Any) -> str:
    """``code: message`` of an ARM error envelope."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    code, message = error.get("code"), error.get("message")
    return f"{code}: {message}" if code else str(message or "")
