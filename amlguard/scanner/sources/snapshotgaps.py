"""What a snapshot says about its own completeness: paging markers and header gaps.

A result that might be only part of the answer (a skip token, a ``nextLink`` in any of its
spellings, ``resultTruncated``, fewer rows than its total), a header that records itself as
incomplete or records a gap (with or without a reason) is a gap: the scan fails closed (exit 3),
because a resource missing from a partial answer cannot be told from one that does not exist.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from amlguard.excerpt import excerpt, quoted
from amlguard.scanner.model import Gap
from amlguard.scanner.sources.followed import unfollowed_gap


def _as_count(value: Any) -> int | None:
    """A record count however it was spelled (40, 40.0, "40"); -1 when it is not a count."""
    if value is None:
        return None
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else -1
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 20:
        return int(value.strip())
    return -1


# Paging markers, by their name lower-cased without '$', '@', an OData prefix, '_', '-', '.':
# ARM's nextLink, OData's @odata.nextLink / odata.nextLink, Resource Graph's $skipToken /
# skip_token, and the continuation tokens of other list APIs. Value: what kind of marker it is.
_PAGING = {
    "skiptoken": "oken",
    "nexttoken": "oken",
    "nextpagetoken": "oken",
    "continuationtoken": "oken",
    "nextlink": "link",
    "nextpagelink": "link",
}


def marker_name(key: str) -> str:
    """A result key as the truncation markers are matched: any case, without a leading ``$``
    or ``@``, an ``odata.`` prefix, ``_``, ``-`` or ``.`` (``@odata.nextLink`` is ``nextlink``)."""
    low = key.strip().lower().lstrip("$@")
    if low.startswith("odata."):
        low = low[6:]
    return low.replace("_", "").replace("-", "").replace(".", "")


def truncation(doc: dict[str, Any], rows: list[Any]) -> str | None:
    """Why a Resource Graph or ARM list result is only part of the answer, or None.

    Marker names are matched case-insensitively and their values however they are typed: a
    result that might be partial is read as partial (fail closed)."""
    found: dict[str, str] = {}
    for key, value in doc.items():
        if not isinstance(key, str):
            continue
        low = marker_name(key)
        if low in _PAGING and value not in (None, "", False):
            found.setdefault(_PAGING[low], f"it has a {excerpt(key)}: more pages were not fetched")
        elif low == "resulttruncated" and str(value).lower() not in ("false", "none", "0", ""):
            found.setdefault("trunc", f"{excerpt(key)} is {excerpt(value, 20)}")
        elif low in ("totalrecords", "count"):
            total = _as_count(value)
            if total is not None and total < 0:
                found.setdefault(
                    "total", f"its {excerpt(key)} is not a count, so completeness is unknown"
                )
            elif total is not None and total > len(rows):
                found.setdefault("total", f"it holds {len(rows)} of {excerpt(key)} {total} rows")
    for kind in ("oken", "link", "trunc", "total"):
        if kind in found:
            return found[kind]
    return None


def gap_scope(scope: Any) -> str:
    """A header gap's scope as the engine matches it: a subscription id (lower-cased), or ''
    for everything. ``/subscriptions/<id>`` and anything under it (a resource group, a
    resource) is that subscription, in any case and with or without a trailing slash; a scope
    that names no subscription (a management group, ``/``, a value of another type) covers
    everything, so a gap is never lost for want of a match (fail closed)."""
    if not isinstance(scope, str):
        return ""
    text = scope.strip().strip("/").strip()
    if "/" not in text:
        return text.lower()
    parts = [p.strip() for p in text.split("/")]
    if len(parts) >= 2 and parts[0].lower() == "subscriptions" and parts[1]:
        return parts[1].lower()
    return ""


def _json_text(value: Any) -> str:
    """A header value as JSON spells it (``false``, ``null``), as a short safe excerpt."""
    try:
        return excerpt(json.dumps(value), 20)
    except (TypeError, ValueError):
        return excerpt(value, 20)


def header_gaps(header: dict[str, Any], path: Path | str = "") -> list[Gap]:
    """The gaps a snapshot header records, and one when it says it is incomplete without
    recording why: a gap without a reason is kept ("reason not recorded"), never dropped."""
    gaps = []
    for gap in header.get("gaps") or []:
        if not isinstance(gap, dict):
            continue
        reason = str(gap.get("reason") or "").strip()
        if not reason:
            reason = f"snapshot {path} records a gap (reason not recorded)"
        scope = gap.get("scope")
        where = gap_scope(scope)
        if not where and scope not in (None, ""):
            reason = f"{reason} [scope {quoted(scope)}, read as the whole snapshot]"
        gaps.append(Gap(reason, where))
    unfollowed = unfollowed_gap(header, path)  # an old snapshot taken with -g
    if unfollowed:
        gaps.append(Gap(unfollowed))
    complete = header.get("complete", True)
    if complete is not True and str(complete).strip().lower() != "true" and not gaps:
        gaps.append(
            Gap(
                f"snapshot {path} records itself as incomplete (complete: {_json_text(complete)}) "
                "without saying what is missing"
            )
        )
    return gaps
