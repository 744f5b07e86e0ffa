"""Pacing and retry timing for Resource Graph: stay inside the user quota, wait out throttling.

Resource Graph answers every query with ``x-ms-user-quota-remaining`` and
``x-ms-user-quota-resets-after`` (``hh:mm:ss``). ``QuotaPacer`` turns them into a gate shared by
all concurrent workers, so throttling (429) is rare; when it happens anyway, every worker pauses
until the service's wait is over, not just the one that was throttled.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import re
import threading
import time
from collections.abc import Callable, Mapping

QUOTA_REMAINING = "x-ms-user-quota-remaining"
QUOTA_RESETS_AFTER = "x-ms-user-quota-resets-after"

_TIMESPAN = re.compile(r"^\s*(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*$")


class BudgetExceeded(Exception):
    """Waiting any longer would overrun the collection's time budget."""


def parse_timespan(text: str | None) -> float | None:
    """Seconds in a .NET TimeSpan (``[d.]hh:mm:ss[.fffffff]``), or None."""
    if not text:
        return None
    m = _TIMESPAN.match(text)
    if not m:
        return None
    days, hours, minutes, seconds, frac = m.groups()
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return total + (float("0." + frac) if frac else 0.0)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` (seconds or an HTTP date), else ``retry-after-ms``; None when absent."""
    value = _get(headers, "retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        value = _get(headers, name)
        if value:
            try:
                return max(0.0, float(value) / 1000.0)
            except ValueError:
                return None
    return None


def _get(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def quota_of(headers: Mapping[str, str]) -> tuple[int | None, float | None]:
    """(remaining, seconds until reset) from Resource Graph's quota headers."""
    raw = _get(headers, QUOTA_REMAINING)
    try:
        remaining = int(raw) if raw is not None else None
    except ValueError:
        remaining = None
    return remaining, parse_timespan(_get(headers, QUOTA_RESETS_AFTER))


def backoff(attempt: int, base: float, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter (attempt 1 -> up to ``base``)."""
    return random.uniform(base / 2, min(cap, base * 2 ** (attempt - 1)))


class QuotaPacer:
    """A gate shared by every worker that keeps requests within the observed quota window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, margin: float = 0.02) -> None:
        self._clock = clock
        self._margin = margin
        self._cond = threading.Condition()
        self._remaining: int | None = None  # None: unknown, send one probe at a time
        self._reset_at: float | None = None
        self._quota = 0  # the largest window seen (remaining + 1)
        self._in_flight = 0
        self._blocked_until = 0.0
        self._window = 0.0  # the longest reset time seen: a window's length

    def acquire(self, deadline: float) -> None:
        """Wait for a slot in the quota; BudgetExceeded if that would pass ``deadline``."""
        with self._cond:
            while True:
                now = self._clock()
                if self._reset_at is not None and now >= self._reset_at:
                    # Requests still in flight may have opened the new window on the service.
                    self._remaining = max(0, self._quota - self._in_flight) if self._quota else None
                    self._reset_at = None
                wake: float | None = None
                if now < self._blocked_until:
                    wake = self._blocked_until
                elif self._remaining is None:
                    if self._in_flight == 0:
                        break
                elif self._remaining > 0:
                    self._remaining -= 1
                    break
                elif self._reset_at is not None:
                    wake = self._reset_at
                elif self._in_flight == 0:
                    self._remaining = None
                    continue
                if wake is not None and wake > deadline:
                    raise BudgetExceeded
                if now >= deadline:
                    raise BudgetExceeded
                timeout = (wake - now) if wake is not None else min(1.0, deadline - now)
                self._cond.wait(max(0.001, timeout))
            self._in_flight += 1

    def observe(self, headers: Mapping[str, str] | None) -> tuple[int | None, float | None]:
        """Record one finished request and the quota its response reports."""
        remaining, resets = quota_of(headers or {})
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            if remaining is not None and resets is not None:
                self._quota = max(self._quota, remaining + 1)
                self._window = max(self._window, resets)
                whole = resets == int(resets)
                reset_at = self._clock() + resets + self._margin + (0.5 if whole else 0.0)
                # Requests still in flight were sent after this answer was counted.
                estimate = max(0, remaining - self._in_flight)
                # A later window ends at least a window after this one; anything closer is a
                # late answer from the current window, which may only lower the estimate.
                if self._reset_at is None or reset_at > self._reset_at + self._window / 2:
                    self._remaining, self._reset_at = estimate, reset_at
                else:
                    current = self._remaining if self._remaining is not None else estimate
                    self._remaining = min(current, estimate)
                    self._reset_at = min(self._reset_at, reset_at)
            self._cond.notify_all()
        return remaining, resets

    def pause(self, seconds: float) -> None:
        """Hold every worker for ``seconds`` (after a 429)."""
        with self._cond:
            until = self._clock() + seconds
            self._blocked_until = max(self._blocked_until, until)
            self._remaining = 0
            self._reset_at = until
            self._cond.notify_all()
