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
from json.encoder import encode_basestring
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
        # Printable ASCII (ids, names: most strings) has nothing to replace: skip the regex.
        safe = text if text.isascii() and text.isprintable() else _UNSAFE.sub("\ufffd", text)
        clean = self[text] = safe if len(safe) * 4 <= FIELD_LIMIT else truncate(safe)
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


_SCOPE = re.compile(r"/subscriptions/([^/]+)(?:/resourcegroups/([^/]+))?", re.I)


def _sub_and_group(resource_id: str) -> tuple[str, str]:
    """The subscription and resource group an ARM id names ("" for what it does not name)."""
    match = _SCOPE.search(resource_id)
    if match is None:
        return "", ""
    return match.group(1), match.group(2) or ""


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


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode

#: One part of a row: its columns, and their JSON text without the braces.
Part = tuple[dict[str, Any], str]


def _part(columns: dict[str, Any]) -> Part:
    """A part whose values are strings: its text from the C string encoder, no JSONEncoder."""
    text = ",".join(f'"{k}":{encode_basestring(v)}' for k, v in columns.items())
    return columns, text


_RESOURCE_COLUMNS = ("ResourceId", "ResourceType", "SubscriptionId", "ResourceGroup")


def _value_text(value: Any) -> str:
    return encode_basestring(value) if type(value) is str else _ENCODE(value)


class _Rows:
    """The rows of one scan, assembled from parts that repeat across findings.

    A finding row is its scan's head, its number, and the parts for its rule, resource,
    instance and texts, plus whatever is its alone (values, history). Each distinct part is built
    and encoded once, so :func:`build_rows` (dicts) and :func:`encode_rows` (JSON text) are the
    same rows by construction, and encoding a large scan costs a join per finding.
    """

    def __init__(self, result: ScanResult, history: Any, scan_id: str | None) -> None:
        self.result = result
        self.clean = clean = _Clean()
        self.history = history
        self.new_keys, self.first_seen, history_scan = _history_marks(history)
        self.scan_id = scan_id or str(uuid.uuid4())
        complete = scan_complete(result)
        gaps = _dynamic(
            [{"reason": clean[g.reason], "scope": clean[g.scope]} for g in result.source.gaps],
            clean,
        )
        scope = clean[f"{result.source.kind}:{result.source.description}"]
        if history is not None and hasattr(history, "scan"):
            scope = clean[str(history.scan.scope)]
        head = {"TimeGenerated": result.scan_time, "ScanId": self.scan_id, "ScanComplete": complete}
        counts = _counts(result)
        if history is not None:
            counts["history"] = {"scan_id": history_scan, "new": len(self.new_keys)}
        self.scan_row: dict[str, Any] = {
            "RowType": SCAN_ROW,
            "RowNumber": 0,
            **head,
            "GapCauses": gaps,
            "Scope": scope,
            "SourceKind": clean[result.source.kind],
            "ToolVersion": __version__,
            "RulePackVersion": clean[str(result.pack_version)],
            "RulePackHash": clean[str(result.pack_hash)],
            "Counts": counts,
        }
        # Finding rows carry the gaps only when there are some (scan-level facts are in the
        # scan row, joined on ScanId): a complete scan's rows stay small.
        head_columns = {"RowType": FINDING_ROW, **head, **({"GapCauses": gaps} if gaps else {})}
        self.head = head_columns, _ENCODE(head_columns)[1:-1]
        self.tenants = {
            i.id.lower(): str(i.workspace.get("tenantId") or "") for i in result.instances
        }
        self.rules: dict[tuple[Any, ...], Part] = {}
        self.resources: dict[tuple[str, str, str], Part] = {}
        self.instances: dict[str, Part] = {}
        self.texts: dict[tuple[str, str], Part] = {}
        self.values: dict[Any, tuple[Any, str]] = {}

    def parts(self, f: Finding, number: int) -> tuple[Part, ...]:
        """The parts of finding ``f``'s row, the ``number``-th row of the scan."""
        clean = self.clean
        key = (f.rule_id, f.rule_name, f.severity, f.status)
        rule = self.rules.get(key)
        if rule is None:
            rule = self.rules[key] = _part(
                {
                    "RuleId": clean[f.rule_id],
                    "RuleName": clean[f.rule_name],
                    "Severity": f.severity.label,
                    "Status": f.status.value,
                }
            )
        rkey = (f.resource_id, f.resource_type, f.instance)
        resource = self.resources.get(rkey)
        if resource is None:
            resource = self.resources[rkey] = self._resource(f)
        instance = self.instances.get(f.instance)
        if instance is None:
            instance = self.instances[f.instance] = _part(
                {
                    "InstanceId": clean[f.instance],
                    "InstanceName": clean[f.instance.rstrip("/").rsplit("/", 1)[-1]],
                    "AadTenantId": clean[self.tenants.get(f.instance.lower(), "")],
                }
            )
        tkey = (f.message, f.remediation)
        texts = self.texts.get(tkey)
        if texts is None:
            texts = self.texts[tkey] = _part(
                {"Message": clean[f.message], "Remediation": clean[f.remediation]}
            )
        own: dict[str, Any] = {"RowNumber": number}
        pieces = [f',"RowNumber":{number}']
        if f.expected is not None:
            own["Expected"], text = self.value(f.expected)
            pieces.append(f',"Expected":{text}')
        if f.actual is not None:
            own["Actual"], text = self.value(f.actual)
            pieces.append(f',"Actual":{text}')
        if f.path is not None:
            own["Path"] = clean[f.path]
            pieces.append(f',"Path":{self.value(f.path)[1]}')
        if f.suppression is not None:
            own["Suppression"] = _dynamic(f.suppression, clean)
        if f.baseline_state:
            own["BaselineState"] = clean[f.baseline_state]
        if self.history is not None and f.status is Status.FAIL:
            fkey = "|".join(f.key)
            if fkey in self.new_keys:
                own["HistoryState"], own["FirstSeen"] = "new", self.result.scan_time
            else:
                own["HistoryState"] = "known"
                if fkey in self.first_seen:
                    own["FirstSeen"] = clean[self.first_seen[fkey]]
        if len(own) > len(pieces):  # the rare columns: encoded as they come
            pieces = [f',"{k}":{_value_text(v)}' for k, v in own.items()]
        return self.head, rule, resource, instance, texts, (own, "".join(pieces))

    def _resource(self, f: Finding) -> Part:
        """The resource part of ``f``: its id, type, subscription and resource group."""
        clean = self.clean
        sub, group = _sub_and_group(f.resource_id)
        rid = clean[f.resource_id]
        rtype = clean[f.resource_type]
        sub = clean[sub or _sub_and_group(f.instance)[0]]
        group = clean[group]
        enc = encode_basestring
        # _RESOURCE_COLUMNS in order, spelled out: this runs for every resource of a fleet.
        text = (
            f'"ResourceId":{enc(rid)},"ResourceType":{enc(rtype)},'
            f'"SubscriptionId":{enc(sub)},"ResourceGroup":{enc(group)}'
        )
        columns = {
            "ResourceId": rid,
            "ResourceType": rtype,
            "SubscriptionId": sub,
            "ResourceGroup": group,
        }
        return columns, text

    def value(self, value: Any) -> tuple[Any, str]:
        """A dynamic or string value as sent, and its JSON text (cached for repeated values)."""
        kind = type(value)
        key: Any = None
        if kind in (str, bool, int, float):
            key = (kind, value)
        elif kind is list and all(type(v) is str for v in value):
            key = (kind, tuple(value))
        cached = self.values.get(key) if key is not None else None
        if cached is None:
            clean = _dynamic(value, self.clean)
            cached = (clean, _value_text(clean))
            if key is not None:
                self.values[key] = cached
        return cached


def build_rows(
    result: ScanResult, *, history: Any = None, scan_id: str | None = None
) -> Iterator[dict[str, Any]]:
    """The scan summary row, then one row per finding, in the report's order.

    ``history`` is what ``check --history`` recorded (``amlguard.history.gate.Recorded`` or its
    ``report_extra()`` dict): failing findings then carry ``HistoryState`` (``new``/``known``)
    and ``FirstSeen``. Keys whose value is None are left out (the column is empty).
    """
    rows = _Rows(result, history, scan_id)
    yield rows.scan_row
    for number, f in enumerate(result.findings, 1):
        row: dict[str, Any] = {}
        for columns, _ in rows.parts(f, number):
            row.update(columns)
        yield row


def encode_rows(
    result: ScanResult, *, history: Any = None, scan_id: str | None = None
) -> Iterator[str]:
    """:func:`build_rows` as compact JSON text, one string per row (same rows, same order)."""
    rows = _Rows(result, history, scan_id)
    yield _ENCODE(rows.scan_row)
    for number, f in enumerate(result.findings, 1):
        head, rule, resource, instance, texts, own = rows.parts(f, number)
        yield f"{{{head[1]},{rule[1]},{resource[1]},{instance[1]},{texts[1]}{own[1]}}}"
