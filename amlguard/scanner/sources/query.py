"""One Resource Graph query over one scope, all its pages, paced, retried and accounted for."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amlguard.scanner.sources.pacing import (
    BudgetExceeded,
    QuotaPacer,
    backoff,
    parse_retry_after,
)

_log = logging.getLogger("amlguard.resourcegraph")

PAGE_SIZE = 1000  # Resource Graph's maximum
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
    """Runs queries through a ResourceGraphClient built with ``retry_total=0`` (we retry here)."""

    def __init__(
        self,
        client: Any,
        pacer: QuotaPacer,
        stats: Stats,
        retry: RetrySettings,
        on_page: Callable[[int], None] | None = None,
    ) -> None:
        from azure.mgmt.resourcegraph import models

        self._models = models
        self.client = client
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
            rows = list(body.data or [])
            out.rows.extend(rows)
            self.stats.add(pages=1, rows=len(rows))
            if self._on_page:
                self._on_page(len(rows))
            if str(headers.get(LIMIT_HIT, "")).lower() == "true":
                out.limit_hit = True
            if total is None:
                total = body.total_records
            token = body.skip_token
            if token:
                continue
            truncated = str(body.result_truncated or "").lower() == "true"
            if truncated or (total is not None and len(out.rows) < total):
                out.error = (
                    f"Resource Graph truncated the result of the {name} query on "
                    f"{scope.describe()} ({len(out.rows)} of {total} rows)"
                )
            return out

    def _request(self, query: str, scope: Scope, token: str | None) -> Any:
        m = self._models
        return m.QueryRequest(
            subscriptions=list(scope.subscriptions) or None,
            management_groups=list(scope.management_groups) or None,
            query=query,
            options=m.QueryRequestOptions(
                top=PAGE_SIZE, skip_token=token, result_format="objectArray"
            ),
        )

    def _page(
        self, name: str, query: str, scope: Scope, token: str | None
    ) -> tuple[Any, dict[str, str]] | Outcome:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
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
            status = 200
            problem = ""
            try:
                body = self.client.resources(
                    self._request(query, scope, token),
                    cls=lambda resp, deser, _h: (deser, dict(resp.http_response.headers)),
                )
                body, headers = body
            except ClientAuthenticationError as exc:
                raise AuthenticationFailed(_first_line(exc)) from None
            except HttpResponseError as exc:
                response: Any = exc.response
                headers = dict(response.headers) if response is not None else {}
                status = exc.status_code or 0
                problem = _error_text(exc)
            except (ServiceRequestError, ServiceResponseError) as exc:
                status = 0
                problem = f"connection failed: {_first_line(exc)}"
            finally:
                remaining, resets = self.pacer.observe(headers)
            elapsed = time.monotonic() - started
            _log.info(
                "%s query on %s: HTTP %s in %.3f s, quota remaining %s, resets after %s s",
                name,
                scope.describe(),
                status or "none",
                elapsed,
                remaining,
                resets,
            )
            if status == 200:
                return body, headers
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
            if status in _TRANSIENT or status == 0:
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


def _error_text(exc: Any) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None)
    if code or message:
        return f"{code}: {message}" if code else str(message)
    return _first_line(exc)
