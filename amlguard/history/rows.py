"""How a finding becomes a history row: what it carries over from its scope's previous scan
(when its failure started, what it named when last judged) and its JSON columns."""

from __future__ import annotations

import json
from typing import Any

from amlguard.scanner.model import Finding, Status

#: per finding key of the previous scan: (first seen, offenders JSON) of a failing finding
Since = dict[tuple[str, str, str], tuple[str, Any]]


def first_seen(finding: Finding, since: Since, scan_time: str) -> str | None:
    """When this failure started: carried over from the scope's previous scan, else now.

    A finding that cannot be judged this time (``error``) keeps the date of the failure it was
    when last judged, so a transient gap (throttling) neither restarts "failing since" nor makes
    the next scan's failures look new.
    """
    if finding.status in (Status.FAIL, Status.KNOWN):  # a baseline-known failure still fails
        return since[finding.key][0] if finding.key in since else scan_time
    if finding.status is Status.ERROR and finding.key in since:
        return since[finding.key][0]
    return None


def offenders_json(finding: Finding, since: Since) -> str | None:
    """The offenders to store (JSON): a failure's own; an unjudged one keeps those it had when
    last judged, so a gap does not hide (or invent) growth; anything else names none."""
    if finding.status in (Status.FAIL, Status.KNOWN):
        return dumps(list(finding.offenders))
    if finding.status is Status.ERROR and finding.key in since:
        return since[finding.key][1]
    return None


def dumps(value: Any) -> str | None:
    """``value`` as the JSON text a column holds (None stays NULL)."""
    return None if value is None else json.dumps(value, default=str, ensure_ascii=False)


def loads(text: str | None) -> Any:
    """A JSON column's value (NULL is None)."""
    return None if text is None else json.loads(text)


def offender_tuple(text: str | None) -> tuple[Any, ...] | None:
    """The stored offenders of a row; None when not recorded (or not readable)."""
    try:
        value = loads(text)
    except ValueError:  # damaged by hand: unknown, like a row from before offenders
        return None
    return tuple(value) if isinstance(value, list) else None
