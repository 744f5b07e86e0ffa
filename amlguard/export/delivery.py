"""Sending batches: one request each, retried on throttling and server errors within a budget.

Retried: 429, 5xx (but 501 and 505), and connections that fail or drop. The wait is what the
service asks for (``retry-after-ms``, ``x-ms-retry-after-ms`` or ``Retry-After`` in seconds or
as an HTTP date), else an exponential backoff with jitter. Every failed attempt and every wait
count against one time budget for the whole export; a wait that would overrun it is not taken
and the batch fails with the cause named. A 413 (payload too large) splits the batch in two.
Other answers (400, 401, 403, 404) are not retried: the request would fail the same way.
"""

from __future__ import annotations

import io
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amlguard.export.batches import Batch
from amlguard.export.target import LogAnalyticsTarget
from amlguard.logs import redact

_log = logging.getLogger("amlguard.export")

#: Seconds a request may take to connect, and to answer once sent.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
#: Attempts per batch at most, however short the waits the service asks for.
MAX_ATTEMPTS = 20
#: Backoff without Retry-After: 0.5 s doubling, at most 30 s.
_BACKOFF_BASE = 0.5
_BACKOFF_MAX = 30.0


class DeliveryFailed(Exception):
    """A batch could not be delivered; ``cause`` says why in one line."""

    def __init__(self, cause: str, status: int | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.status = status


def clip(text: str, limit: int = 300) -> str:
    """``text`` on one line, tokens redacted, unprintable characters replaced, clipped."""
    text = " ".join(redact(text).split())
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def retry_after(headers: Any, now: float | None = None) -> float | None:
    """Seconds the service asked to wait, from any of its three headers; None when absent."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001)):
        value = headers.get(name)
        if value:
            try:
                return max(float(value) * scale, 0.0)
            except ValueError:
                pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    import email.utils  # only for the rare HTTP-date form

    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(when - (time.time() if now is None else now), 0.0)


def _describe(exc: Exception) -> tuple[str, int | None]:
    """A one-line cause for an SDK error, and its HTTP status when there is one."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(exc, "status_code", None)
    if status is None:
        return f"{type(exc).__name__}: {clip(str(exc).splitlines()[0] if str(exc) else '')}", None
    reason = getattr(response, "reason", None) or ""
    detail = ""
    try:
        body = json.loads(response.text()) if response is not None else None
        error = body.get("error", body) if isinstance(body, dict) else None
        if isinstance(error, dict):
            detail = ": ".join(str(error[k]) for k in ("code", "message") if error.get(k))
    except Exception:  # a body that is not JSON says nothing more
        detail = ""
    text = f"HTTP {status} {reason}".strip() + (f" ({clip(detail)})" if detail else "")
    return text, int(status)


def _transient(status: int | None) -> bool:
    if status is None:
        return True  # connection failed or dropped
    return status == 429 or (500 <= status < 600 and status not in (501, 505))


@dataclass
class Sender:
    """Sends batches to one target through a LogsIngestionClient, counting requests."""

    client: Any
    target: LogAnalyticsTarget
    budget_s: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0
    spent: float = 0.0  # seconds of failed attempts and waits so far (all threads together)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _post(self, body: bytes) -> None:
        with self._lock:
            self.requests += 1
        self.client.upload(
            rule_id=self.target.rule_id,
            stream_name=self.target.stream,
            logs=io.BytesIO(body),
            connection_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        )

    def send(self, batch: Batch) -> list[Batch]:
        """Deliver ``batch``; the parts delivered before a failure are returned on the error.

        Returns the batches the service accepted (more than one when a 413 split it); raises
        :class:`Undelivered` carrying those and the parts left over when it gives up.
        """
        accepted: list[Batch] = []
        queue = [batch]
        while queue:
            part = queue.pop(0)
            try:
                self._deliver(part)
            except DeliveryFailed as exc:
                if exc.status == 413 and len(part.rows) > 1:
                    _log.info("413 for %d row(s): splitting the batch", len(part.rows))
                    queue[:0] = part.halves()
                    continue
                raise Undelivered(exc, accepted, [part, *queue]) from None
            accepted.append(part)
        return accepted

    def _deliver(self, batch: Batch) -> None:
        from azure.core.exceptions import AzureError, ClientAuthenticationError

        body = batch.gzipped()
        attempt = 0
        backoffs = 0  # waits the service did not name: these grow exponentially
        while True:
            started = self.clock()
            try:
                self._post(body)
                return
            except AzureError as exc:
                cause, status = _describe(exc)
                if status is None and isinstance(exc, ClientAuthenticationError):
                    raise DeliveryFailed(f"no token for Azure Monitor: {cause}") from None
                if not _transient(status):
                    raise DeliveryFailed(cause, status) from None
                response = getattr(exc, "response", None)
                asked = retry_after(getattr(response, "headers", None)) or None  # 0: back off
            wait = asked if asked is not None else self._backoff(backoffs)
            with self._lock:
                self.spent += self.clock() - started
                left = self.budget_s - self.spent
                if wait <= left:
                    self.spent += wait  # reserved before sleeping: other threads see it
            if wait > left:
                why = (
                    f"the service asked to retry after {asked:g} s"
                    if asked is not None
                    else f"{attempt + 1} attempt(s)"
                )
                raise DeliveryFailed(
                    f"{cause}; gave up: {why}, beyond the retry budget of {self.budget_s:g} s",
                    status,
                ) from None
            if attempt + 1 >= MAX_ATTEMPTS:
                raise DeliveryFailed(f"{cause}; gave up after {MAX_ATTEMPTS} attempts", status)
            _log.warning("%s; retrying in %.2f s", cause, wait)
            self.sleep(wait)
            attempt += 1
            backoffs += asked is None

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(_BACKOFF_BASE * 2**attempt, _BACKOFF_MAX) * random.uniform(0.8, 1.2)


class Undelivered(Exception):
    """A batch gave up: the cause, the parts accepted before, and the parts not delivered."""

    def __init__(self, failure: DeliveryFailed, accepted: list[Batch], left: list[Batch]) -> None:
        super().__init__(failure.cause)
        self.failure = failure
        self.accepted = accepted
        self.left = left
