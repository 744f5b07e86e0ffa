"""One identity per offender, so a baseline or the history can tell which items a failure names.

A finding's ``offenders`` are what its failing ``count``/``[*]`` condition named: usually resource
ids (compared case-insensitively, like every Azure id), sometimes names or a sentence, rarely a
whole item (a dict or list without an id). The identity of a string is the string lower-cased;
of anything else, the value itself. :func:`key` turns an identity into canonical JSON, so the
string ``"1"`` and the number ``1`` stay different offenders.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from amlguard.scanner import ids


def identity(offender: Any) -> Any:
    """The JSON value that identifies ``offender``: a lower-cased string, else the value."""
    if isinstance(offender, str):
        return offender.strip().lower()
    if isinstance(offender, dict):
        for field in ("id", "name"):
            value = offender.get(field)
            if isinstance(value, str) and value:
                return value.strip().lower()
    return offender


def key(offender: Any) -> str:
    """Canonical JSON of the identity of ``offender``: equal keys, same offender."""
    return json.dumps(
        identity(offender), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def identities(offenders: Iterable[Any]) -> list[Any]:
    """The identities of ``offenders``, each once, in a stable order (by canonical JSON)."""
    by_key = {key(o): identity(o) for o in offenders}
    return [by_key[k] for k in sorted(by_key)]


#: what a failure that names no offender is called where its entry named some: the recorded
#: offenders are gone, yet the finding still fails, so it fails for something else (redteam9
#: item 6). An empty set is never a subset of a non-empty accepted one.
NONE_NAMED = "(a failure naming no offender)"


def unrecorded(current: Iterable[Any], recorded: Iterable[Any]) -> list[Any]:
    """The offenders of ``current`` whose identity ``recorded`` lacks, each once, in order;
    ``[NONE_NAMED]`` when ``current`` names none and ``recorded`` names some."""
    known = {key(o) for o in recorded}
    current = list(current)
    if not current and known:
        return [NONE_NAMED]
    out: list[Any] = []
    seen: set[str] = set()
    for offender in current:
        k = key(offender)
        if k not in known and k not in seen:
            seen.add(k)
            out.append(offender)
    return out


def label(offender: Any) -> str:
    """How an offender is named to a person: the name of an id, else the text or its JSON."""
    if isinstance(offender, str):
        return ids.short_if_id(offender)
    return json.dumps(offender, sort_keys=True, ensure_ascii=False, default=str)
