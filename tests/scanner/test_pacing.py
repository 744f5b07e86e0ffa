"""Quota headers, Retry-After parsing and the shared pacing gate."""

from __future__ import annotations

import email.utils
import time

import pytest

from amlguard.scanner.sources.pacing import (
    BudgetExceeded,
    QuotaPacer,
    parse_retry_after,
    parse_timespan,
    quota_of,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:03", 3.0),
        ("00:01:02.5000000", 62.5),
        ("1.00:00:00", 86400.0),
        ("bogus", None),
        (None, None),
    ],
)
def test_timespans(text: str | None, seconds: float | None) -> None:
    assert parse_timespan(text) == seconds


def test_retry_after_seconds_date_and_milliseconds() -> None:
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < (parse_retry_after({"Retry-After": future}) or 0) <= 30
    assert parse_retry_after({}) is None


def test_quota_headers_are_read_case_insensitively() -> None:
    got = quota_of({"X-Ms-User-Quota-Remaining": "4", "x-ms-user-quota-resets-after": "00:00:02"})
    assert got == (4, 2.0)


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pacer_spends_the_window_then_waits_for_the_reset() -> None:
    clock = _Clock()
    pacer = QuotaPacer(clock, margin=0.0)
    pacer.acquire(deadline=1e9)  # the probe
    pacer.observe({"x-ms-user-quota-remaining": "2", "x-ms-user-quota-resets-after": "00:00:01.5"})
    pacer.acquire(1e9)
    pacer.acquire(1e9)
    # The window is spent: the next slot is only after the reset, which is past this deadline.
    with pytest.raises(BudgetExceeded):
        pacer.acquire(deadline=clock.now + 1.0)
    clock.now += 1.6
    pacer.acquire(1e9)  # a fresh window of the size seen (remaining + 1 = 3)


def test_pause_holds_every_worker() -> None:
    clock = _Clock()
    pacer = QuotaPacer(clock, margin=0.0)
    pacer.acquire(1e9)
    pacer.observe({"x-ms-user-quota-remaining": "10", "x-ms-user-quota-resets-after": "00:00:05.1"})
    pacer.pause(3.0)
    with pytest.raises(BudgetExceeded):
        pacer.acquire(deadline=clock.now + 2.0)
    clock.now += 3.1
    pacer.acquire(1e9)


def test_a_late_answer_from_the_same_window_never_raises_the_estimate() -> None:
    clock = _Clock()
    pacer = QuotaPacer(clock, margin=0.0)
    pacer.acquire(1e9)
    pacer.observe({"x-ms-user-quota-remaining": "14", "x-ms-user-quota-resets-after": "00:00:05.0"})
    for _ in range(3):
        pacer.acquire(1e9)
    pacer.observe({"x-ms-user-quota-remaining": "1", "x-ms-user-quota-resets-after": "00:00:04.5"})
    # An answer counted earlier in the window arrives last: it must not reopen the quota.
    pacer.observe({"x-ms-user-quota-remaining": "9", "x-ms-user-quota-resets-after": "00:00:04.6"})
    with pytest.raises(BudgetExceeded):  # no slot until the window resets at +4.5 s
        pacer.acquire(deadline=clock.now + 1.0)
    clock.now += 4.6
    pacer.acquire(deadline=clock.now + 1.0)
