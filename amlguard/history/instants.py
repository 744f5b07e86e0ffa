"""Dates and times as instants: strict parsing for ``history prune --before``, and the instant
of a stored ``scan_time``, so scans are compared in time, never as text."""

from __future__ import annotations

import datetime as dt
import re

from amlguard.errors import InputError

# RFC 3339: a calendar date, optionally a time with seconds, fraction and a zone.
_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?)?$"
)


def parse_instant(text: str) -> dt.datetime | None:
    """The UTC instant of ``YYYY-MM-DD`` (midnight UTC) or ``YYYY-MM-DDTHH:MM[:SS[.f]][Z|±HH:MM]``
    (no zone: UTC); None for anything else (``20260101``, ``2026-W01-1``, ``2026-02-30``)."""
    m = _INSTANT.match(text.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        value = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(((fraction or ".0")[1:] + "000000")[:6]),
            tzinfo=dt.timezone.utc,
        )
    except ValueError:
        return None
    if zone and zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            return None
        value -= sign * dt.timedelta(hours=hours, minutes=minutes)
    return value


def before_option(text: str) -> dt.datetime:
    """``--before``: a strict date or date-time, else an input error naming the forms."""
    value = parse_instant(text)
    if value is None:
        raise InputError(
            f"--before {text[:40]!r}: not an ISO date (YYYY-MM-DD) or date-time "
            "(YYYY-MM-DDTHH:MM:SSZ)"
        )
    return value
