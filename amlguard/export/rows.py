"""The rows an export sends: one per finding (passing ones included) and one per scan.

Column names and types are :data:`COLUMNS`, the single definition that the shipped JSON Schema
(``policies/schemas/loganalytics-row.schema.json``), the example table and data collection rule
(``examples/log-analytics/``) and the tests are checked against. None of them is one of the
names Log Analytics reserves (:data:`RESERVED`); a ``RowType`` column tells the scan summary
row (``scan``) from finding rows (``finding``), so one table and one stream hold both.

Values come from estates we did not write: every one goes through :mod:`amlguard.export.values`
(neutralised, and cut to the service's per-field limit with a marker).
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any

from amlguard import __version__
from amlguard.export.values import FIELD_LIMIT, Clean, JsonTexts, dynamic
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


def valid_column_name(name: str) -> bool:
    """A letter, then at most 44 letters, digits or ``_``; not reserved (case-insensitive)."""
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,44}", name)) and name.lower() not in RESERVED


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


def scan_complete(
    result: ScanResult, tally: Counter[tuple[Severity, Status]] | None = None
) -> bool:
    """Whether every finding was judged: no gap, no ``error`` finding (exit code 3 otherwise)."""
    if tally is not None:
        return result.source.complete and not any(s is Status.ERROR for _, s in tally)
    return result.source.complete and not any(f.status is Status.ERROR for f in result.findings)


#: (severity, status) of a finding, in C: one pass over a fleet's findings counts them all.
_OUTCOME = attrgetter("severity", "status")


def _counts(result: ScanResult, tally: Counter[tuple[Severity, Status]]) -> dict[str, Any]:
    by_status = {s.value: 0 for s in Status}
    by_severity = {
        sev.label: {s.value: 0 for s in Status} for sev in sorted(Severity, reverse=True)
    }
    for (sev, status), n in tally.items():
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


def _value_text(value: Any) -> str:
    return encode_basestring(value) if type(value) is str else _ENCODE(value)


class _Rows:
    """The rows of one scan, assembled from parts that repeat across findings.

    A finding row is its scan's head, a front (rule, outcome and texts), a place (resource and
    instance), and whatever is its alone (number, values, history). Each distinct part is built
    and encoded once, so :func:`build_rows` (dicts) and :func:`encode_rows` (JSON text) are the
    same rows by construction, and encoding a large scan costs two lookups per finding.
    """

    def __init__(self, result: ScanResult, history: Any, scan_id: str | None) -> None:
        self.result = result
        self.clean = clean = Clean()
        self.history = history
        self.new_keys, self.first_seen, history_scan = _history_marks(history)
        self.scan_id = scan_id or str(uuid.uuid4())
        tally = Counter(map(_OUTCOME, result.findings))
        complete = scan_complete(result, tally)
        gaps = dynamic(
            [{"reason": clean[g.reason], "scope": clean[g.scope]} for g in result.source.gaps],
            clean,
        )
        scope = clean[f"{result.source.kind}:{result.source.description}"]
        if history is not None and hasattr(history, "scan"):
            scope = clean[str(history.scan.scope)]
        head = {"TimeGenerated": result.scan_time, "ScanId": self.scan_id, "ScanComplete": complete}
        counts = _counts(result, tally)
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
        #: rule and texts per (rule id, rule name, severity, status, message, remediation)
        self.fronts: dict[tuple[Any, ...], Part] = {}
        #: resource and instance per (resource id, resource type, instance id)
        self.places: dict[tuple[str, str, str], str] = {}
        self.instances: dict[str, Part] = {}
        self.values: dict[Any, tuple[Any, str]] = {}
        #: rule and outcome columns per (rule id, rule name, severity, status)
        self.rules: dict[tuple[Any, ...], str] = {}
        #: raw text -> the JSON of its neutralised form; cleaned text -> its JSON
        self.texts = JsonTexts(clean)
        self.encoded = JsonTexts(None)

    def parts(self, f: Finding, number: int) -> tuple[Part, Part, Part, Part]:
        """The parts of finding ``f``'s row, the ``number``-th row of the scan."""
        key = (f.rule_id, f.rule_name, f.severity, f.status, f.message, f.remediation)
        front = self.fronts.get(key) or self.front(f)
        return self.head, front, self.place_part(f), self.own(f, number)

    def front(self, f: Finding) -> Part:
        """The part ``f`` shares with its rule's other findings of the same outcome and text."""
        clean = self.clean
        key = (f.rule_id, f.rule_name, f.severity, f.status, f.message, f.remediation)
        columns = {
            "RuleId": clean[f.rule_id],
            "RuleName": clean[f.rule_name],
            "Severity": f.severity.label,
            "Status": f.status.value,
            "Message": clean[f.message],
            "Remediation": clean[f.remediation],
        }
        text = (
            f'{self.rule_text(f)}{self.texts[f.message]},"Remediation":{self.texts[f.remediation]}'
        )
        part = self.fronts[key] = columns, text
        return part

    def rule_text(self, f: Finding) -> str:
        """The text of ``f``'s rule and outcome columns, up to the ``Message`` column's name."""
        key = (f.rule_id, f.rule_name, f.severity, f.status)
        text = self.rules.get(key)
        if text is None:
            texts = self.texts
            text = self.rules[key] = (
                f'"RuleId":{texts[f.rule_id]},"RuleName":{texts[f.rule_name]},'
                f'"Severity":{encode_basestring(f.severity.label)},'
                f'"Status":{encode_basestring(f.status.value)},"Message":'
            )
        return text

    def _place(self, f: Finding) -> tuple[str, str, str, str, Part]:
        """Resource id, type, subscription and group of ``f`` as sent, and its instance's part."""
        clean = self.clean
        inst = f.instance
        instance = self.instances.get(inst)
        if instance is None:
            instance = self.instances[inst] = _part(
                {
                    "InstanceId": clean[inst],
                    "InstanceName": clean[inst.rstrip("/").rsplit("/", 1)[-1]],
                    "AadTenantId": clean[self.tenants.get(inst.lower(), "")],
                }
            )
        rid = f.resource_id
        sub, group = _sub_and_group(rid)
        if not (rid.isascii() and rid.isprintable() and len(rid) * 4 <= FIELD_LIMIT):
            # (an id that needs nothing replaced or cut: nor do the names cut out of it)
            rid, sub, group = clean[rid], clean[sub], clean[group]
        if not sub:
            sub = clean[_sub_and_group(inst)[0]]
        return rid, clean[f.resource_type], sub, group, instance

    def place(self, f: Finding) -> str:
        """The text of ``f``'s resource and instance columns (one per resource of a fleet)."""
        rid, rtype, sub, group, instance = self._place(f)
        known = self.encoded  # cleaned text -> its JSON (types, subscriptions, groups repeat)
        text = self.places[f.resource_id, f.resource_type, f.instance] = (
            f'"ResourceId":{encode_basestring(rid)},"ResourceType":{known[rtype]},'
            f'"SubscriptionId":{known[sub]},"ResourceGroup":{known[group]},{instance[1]}'
        )
        return text

    def place_part(self, f: Finding) -> Part:
        """:meth:`place` with its columns (for :func:`build_rows`)."""
        rid, rtype, sub, group, instance = self._place(f)
        columns = {
            "ResourceId": rid,
            "ResourceType": rtype,
            "SubscriptionId": sub,
            "ResourceGroup": group,
            **instance[0],
        }
        text = self.places.get((f.resource_id, f.resource_type, f.instance)) or self.place(f)
        return columns, text

    def own(self, f: Finding, number: int) -> Part:
        """The columns of ``f``'s row that are its alone: number, values, review, history."""
        clean = self.clean
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
            own["Suppression"] = dynamic(f.suppression, clean)
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
        return own, "".join(pieces)

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
            clean = dynamic(value, self.clean)
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
    """:func:`build_rows` as compact JSON text, one string per row (same rows, same order).

    The hot loop of an export: a finding whose row is only shared parts and its number (most
    of them: passing findings carry no values) costs two lookups and one string; the rest go
    through :meth:`_Rows.own`.
    """
    rows = _Rows(result, history, scan_id)
    yield _ENCODE(rows.scan_row)
    head = "{" + rows.head[1] + ","
    rules, places, texts = rows.rules, rows.places, rows.texts
    rule_text, place, own = rows.rule_text, rows.place, rows.own
    plain = history is None
    for number, f in enumerate(result.findings, 1):
        rt = rules.get((f.rule_id, f.rule_name, f.severity, f.status))
        if rt is None:
            rt = rule_text(f)
        pt = places.get((f.resource_id, f.resource_type, f.instance))
        if pt is None:
            pt = place(f)
        if (
            plain
            and f.expected is None
            and f.actual is None
            and f.path is None
            and f.suppression is None
            and not f.baseline_state
        ):
            yield (
                f'{head}{rt}{texts[f.message]},"Remediation":{texts[f.remediation]},{pt},'
                f'"RowNumber":{number}}}'
            )
        else:
            yield (
                f'{head}{rt}{texts[f.message]},"Remediation":{texts[f.remediation]},{pt}'
                f"{own(f, number)[1]}}}"
            )
