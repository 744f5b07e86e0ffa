"""The rows an export sends: one per finding (passing ones included) and one per scan.

Column names and types are :data:`COLUMNS`, the single definition that the shipped JSON Schema
(``policies/schemas/loganalytics-row.schema.json``), the example table and data collection rule
(``examples/log-analytics/``) and the tests are checked against. None of them is one of the
names Log Analytics reserves (:data:`RESERVED`); a ``RowType`` column tells the scan summary
row (``scan``) from finding rows (``finding``), so one table and one stream hold both.

Values come from estates we did not write, so every string is neutralised (control and
bidirectional-override characters replaced) and any value longer than the service's per-field
limit is cut, ending with :data:`TRUNCATED` so a reader knows.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

from amlguard import __version__
from amlguard.scanner.model import Finding, ScanResult, Severity, Status

#: Column name -> Log Analytics type, in the table's order.
COLUMNS: dict[str, str] = {
    "TimeGenerated": "datetime",
    "RowType": "string",
    "ScanId": "string",
    "RowNumber": "int",
    "ScanComplete": "boolean",
    "GapCauses": "dynamic",
    "Scope": "string",
    "SourceKind": "string",
    "AadTenantId": "string",
    "SubscriptionId": "string",
    "ResourceGroup": "string",
    "RuleId": "string",
    "RuleName": "string",
    "Severity": "string",
    "Status": "string",
    "ResourceId": "string",
    "ResourceType": "string",
    "InstanceId": "string",
    "InstanceName": "string",
    "Message": "string",
    "Expected": "dynamic",
    "Actual": "dynamic",
    "Path": "string",
    "Remediation": "string",
    "Suppression": "dynamic",
    "BaselineState": "string",
    "HistoryState": "string",
    "FirstSeen": "datetime",
    "Counts": "dynamic",
    "ToolVersion": "string",
    "RulePackVersion": "string",
    "RulePackHash": "string",
}

#: Names Log Analytics reserves for itself (compared case-insensitively); ``_``-prefixed names
#: are the service's too.
RESERVED = frozenset(
    n.lower()
    for n in ("id", "Type", "TenantId", "_ResourceId", "_SubscriptionId", "UniqueId", "Title")
)

FINDING_ROW = "finding"
SCAN_ROW = "scan"

#: The per-field limit: 64 KB per value (Azure Monitor custom logs limits); kept under in
#: UTF-8 bytes of the value's text.
FIELD_LIMIT = 64_000
TRUNCATED = "\u2026[truncated by amlguard]"

_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def valid_column_name(name: str) -> bool:
    """A letter, then at most 44 letters, digits or ``_``; not reserved (case-insensitive)."""
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,44}", name)) and name.lower() not in RESERVED


def truncate(text: str, limit: int = FIELD_LIMIT) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, ending with :data:`TRUNCATED` when cut."""
    if len(text) * 4 <= limit:
        return text
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    keep = limit - len(TRUNCATED.encode("utf-8"))
    return data[:keep].decode("utf-8", "ignore") + TRUNCATED


class _Clean(dict[str, str]):
    """Neutralised, length-limited text of each distinct string, computed on first use."""

    def __missing__(self, text: str) -> str:
        clean = self[text] = truncate(_UNSAFE.sub("\ufffd", text))
        return clean


def _dynamic(value: Any, clean: _Clean) -> Any:
    """A dynamic column's value: strings neutralised; too long as JSON -> truncated JSON text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return clean[value]
    value = _scrub(value, clean)
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) * 4 <= FIELD_LIMIT or len(text.encode("utf-8")) <= FIELD_LIMIT:
        return value
    return truncate(text)


def _scrub(value: Any, clean: _Clean) -> Any:
    if isinstance(value, str):
        return _UNSAFE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(str(k), clean): _scrub(v, clean) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, clean) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _UNSAFE.sub("\ufffd", str(value))


def _segment(resource_id: str, name: str) -> str:
    parts = resource_id.split("/")
    low = [p.lower() for p in parts]
    if name in low:
        i = low.index(name)
        if i + 1 < len(parts):
            return parts[i + 1]
    return ""


def _history_marks(history: Any) -> tuple[set[str], dict[str, str], int | None]:
    """(new finding keys, first-seen time per still-failing key, history scan id)."""
    if history is None:
        return set(), {}, None
    extra = history.report_extra()["history"] if hasattr(history, "report_extra") else history
    extra = extra.get("history", extra)
    return (
        set(extra.get("new_keys") or ()),
        dict(extra.get("first_seen") or {}),
        extra.get("scan_id"),
    )


def scan_complete(result: ScanResult) -> bool:
    """Whether every finding was judged: no gap, no ``error`` finding (exit code 3 otherwise)."""
    return result.source.complete and not any(f.status is Status.ERROR for f in result.findings)


def _counts(result: ScanResult) -> dict[str, Any]:
    by_status = {s.value: 0 for s in Status}
    by_severity = {
        sev.label: {s.value: 0 for s in Status} for sev in sorted(Severity, reverse=True)
    }
    for (sev, status), n in Counter((f.severity, f.status) for f in result.findings).items():
        by_status[status.value] += n
        by_severity[sev.label][status.value] += n
    return {
        "instances": len(result.instances),
        "findings": len(result.findings),
        "by_status": by_status,
        "by_severity": by_severity,
        "warnings": len(result.warnings),
    }


def build_rows(
    result: ScanResult, *, history: Any = None, scan_id: str | None = None
) -> Iterator[dict[str, Any]]:
    """The scan summary row, then one row per finding, in the report's order.

    ``history`` is what ``check --history`` recorded (``amlguard.history.gate.Recorded`` or its
    ``report_extra()`` dict): failing findings then carry ``HistoryState`` (``new``/``known``)
    and ``FirstSeen``. Keys whose value is None are left out (the column is empty).
    """
    clean = _Clean()
    new_keys, first_seen, history_scan = _history_marks(history)
    scan_id = scan_id or str(uuid.uuid4())
    complete = scan_complete(result)
    gaps = [{"reason": clean[g.reason], "scope": clean[g.scope]} for g in result.source.gaps]
    scope = clean[f"{result.source.kind}:{result.source.description}"]
    if history is not None and hasattr(history, "scan"):
        scope = clean[str(history.scan.scope)]
    common: dict[str, Any] = {
        "TimeGenerated": result.scan_time,
        "ScanId": scan_id,
        "ScanComplete": complete,
        "GapCauses": _dynamic(gaps, clean),
        "Scope": scope,
        "SourceKind": clean[result.source.kind],
        "ToolVersion": __version__,
        "RulePackVersion": clean[str(result.pack_version)],
        "RulePackHash": clean[str(result.pack_hash)],
    }
    counts = _counts(result)
    if history is not None:
        counts["history"] = {"scan_id": history_scan, "new": len(new_keys)}
    yield {"RowType": SCAN_ROW, "RowNumber": 0, **common, "Counts": counts}
    tenants = {i.id.lower(): str(i.workspace.get("tenantId") or "") for i in result.instances}
    for number, f in enumerate(result.findings, 1):
        yield _finding_row(f, number, common, clean, tenants, new_keys, first_seen, history)


def _finding_row(
    f: Finding,
    number: int,
    common: dict[str, Any],
    clean: _Clean,
    tenants: dict[str, str],
    new_keys: set[str],
    first_seen: dict[str, str],
    history: Any,
) -> dict[str, Any]:
    rid = f.resource_id
    row: dict[str, Any] = {
        "RowType": FINDING_ROW,
        "RowNumber": number,
        **common,
        "AadTenantId": clean[tenants.get(f.instance.lower(), "")],
        "SubscriptionId": clean[
            _segment(rid, "subscriptions") or _segment(f.instance, "subscriptions")
        ],
        "ResourceGroup": clean[_segment(rid, "resourcegroups")],
        "RuleId": clean[f.rule_id],
        "RuleName": clean[f.rule_name],
        "Severity": f.severity.label,
        "Status": f.status.value,
        "ResourceId": clean[rid],
        "ResourceType": clean[f.resource_type],
        "InstanceId": clean[f.instance],
        "InstanceName": clean[f.instance.rstrip("/").rsplit("/", 1)[-1]],
        "Message": clean[f.message],
        "Remediation": clean[f.remediation],
    }
    for column, value in (("Expected", f.expected), ("Actual", f.actual)):
        if value is not None:
            row[column] = _dynamic(value, clean)
    if f.path is not None:
        row["Path"] = clean[f.path]
    if f.suppression is not None:
        row["Suppression"] = _dynamic(f.suppression, clean)
    if f.baseline_state:
        row["BaselineState"] = clean[f.baseline_state]
    if history is not None and f.status is Status.FAIL:
        key = "|".join(f.key)
        if key in new_keys:
            row["HistoryState"], row["FirstSeen"] = "new", common["TimeGenerated"]
        else:
            row["HistoryState"] = "known"
            if key in first_seen:
                row["FirstSeen"] = clean[first_seen[key]]
    return row
