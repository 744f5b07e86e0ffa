"""What the HTML report's script draws, as one JSON document: rules, workspaces with their
diagram models, findings, and a string table every repeated text goes through.

Kept apart from :mod:`amlguard.reports.html` (the page around it); the tests read the models
back with :func:`diagram_of`.
"""

from __future__ import annotations

from typing import Any

from amlguard.reports import overview
from amlguard.reports.diagramfacts import facts as diagram_facts
from amlguard.reports.interface import ReportOptions
from amlguard.reports.ruledocs import doc_url
from amlguard.reports.svg import Pieces, diagram_model, hub_projects
from amlguard.reports.text import short_if_id, suppression_text, value_text
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, ScanResult, Status

#: Matching findings laid out at once (more on request).
PAGE = 500
#: Heat map rows laid out at once (more on request).
HEAT_PAGE = 100
#: Overview rows laid out at once (more on request); the rest are in the page, hidden.
OVERVIEW_PAGE = 200

#: Finding statuses, worst first (the order of the cards, the filters and the findings).
STATUS_ORDER = [
    Status.ERROR,
    Status.FAIL,
    Status.PASS,
    Status.SUPPRESSED,
    Status.SKIPPED,
    Status.KNOWN,
]
_ST = ["error", "fail", "pass", "suppressed", "skipped", "known"]


def _value(value: Any) -> str:
    """Like :func:`value_text`, but the ids in a list cut to their last segment."""
    if isinstance(value, list):
        return ", ".join(short_if_id(str(v)) for v in value)
    return value_text(value)


class _Strings:
    """A string table: each distinct string stored once, referred to by index."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: Any) -> int:
        value = str(text)
        found = self._index.get(value)
        if found is None:
            found = self._index[value] = len(self.items)
            self.items.append(value)
        return found


def _split_id(resource_id: str) -> tuple[str, str]:
    """An id as (prefix through ``/providers/``, the rest): prefixes repeat across a fleet."""
    cut = resource_id.lower().rfind("/providers/")
    return (resource_id[: cut + 11], resource_id[cut + 11 :]) if cut >= 0 else ("", resource_id)


def _finding_row(
    f: Finding,
    w: int,
    rule: int,
    pieces: int,
    strings: _Strings,
    new: bool,
    since: str | None,
) -> list[Any]:
    """``[w, rule, status, prefix, tail, pieces, msg, exp, act, path, fix, new, since, why]``."""
    status = _ST.index(f.status.value)
    pre, tail = _split_id(str(f.resource_id))
    row: list[Any] = [w, rule, status, strings(pre), strings(tail), pieces]
    if f.status is Status.PASS:
        return row
    row.append(strings(f.message))
    failing = f.status is Status.FAIL
    row.append(strings(_value(f.expected)) if failing and f.expected is not None else -1)
    row.append(strings(_value(f.actual)) if failing else -1)
    row.append(strings(f.path) if failing and f.path else -1)
    fix = f.remediation if f.status in (Status.FAIL, Status.ERROR) else ""
    row.append(strings(fix) if fix else -1)
    row.append(1 if new else 0)
    row.append(strings(since) if since else -1)
    row.append(strings(suppression_text(f.suppression)) if f.suppression else -1)
    while row[-1] in (-1, 0) and len(row) > 6:
        row.pop()
    return row


def _intern(model: dict[str, Any], strings: _Strings) -> None:
    """A diagram's texts as string-table indices: a fleet repeats them thousands of times."""
    for box in model["boxes"]:
        box[1], box[2] = strings(box[1]), strings(box[2])
        box[5] = [strings(t) for t in box[5]]
        box[10] = [strings(t) for t in box[10]]


def diagram_of(data: dict[str, Any], w: int) -> dict[str, Any]:
    """The diagram model of workspace ``w`` in :func:`report_data`, its texts looked up."""
    model = data["ws"][w][9]
    table = data["s"]
    boxes = [
        [
            *box[:1],
            table[box[1]],
            table[box[2]],
            *box[3:5],
            [table[i] for i in box[5]],
            *box[6:10],
            [table[i] for i in box[10]],
        ]
        for box in model["boxes"]
    ]
    return {**model, "boxes": boxes}


def report_data(result: ScanResult, options: ReportOptions) -> dict[str, Any]:
    """What the page's script draws: rules, workspaces (with diagrams), findings, strings."""
    history = options.extra.get("history") or {}
    keys = overview.new_keys(options.extra)
    first_seen = history.get("first_seen") or {}
    rows = overview.lines(result, keys)
    rules = overview.rule_index(result)
    strings = _Strings()
    rule_ids = sorted({f.rule_id for f in result.findings} | set(rules))
    rule_pos = {rid: i for i, rid in enumerate(rule_ids)}
    sev_of: dict[str, str] = {}
    for f in result.findings:
        sev_of.setdefault(f.rule_id, f.severity.label)
    rule_rows = [
        [
            rid,
            str(getattr(rules.get(rid), "name", "")),
            str(getattr(rules.get(rid), "title", rid)),
            sev_of.get(rid) or getattr(getattr(rules.get(rid), "severity", None), "label", "info"),
            (doc_url(rules[rid]) or "") if rid in rules else "",
        ]
        for rid in rule_ids
    ]
    by_id = {ids.norm(i.id): i for i in result.instances}
    position = {ids.norm(r.id): n for n, r in enumerate(rows)}
    mappers = [Pieces(by_id[ids.norm(r.id)]) for r in rows]
    placed: list[dict[str, list[Finding]]] = [{} for _ in rows]
    projects = hub_projects(result.instances)
    tags = {rid: tuple(getattr(rule, "tags", ())) for rid, rule in rules.items()}
    located: list[tuple[int, Finding]] = []
    for f in result.findings:
        w = position.get(ids.norm(f.instance))
        if w is not None:
            located.append((w, f))
    located.sort(
        key=lambda wf: (
            STATUS_ORDER.index(wf[1].status),
            -wf[1].severity,
            wf[1].rule_id,
            wf[1].resource_id.lower(),
        )
    )
    findings = []
    heat: set[int] = set()
    piece_sets: dict[tuple[str, ...], int] = {}
    for w, f in located:
        keys_of = mappers[w].of(f, tags.get(f.rule_id, ()))
        for piece in keys_of:
            placed[w].setdefault(piece, []).append(f)
        pieces = piece_sets.get(keys_of)
        if pieces is None:
            pieces = piece_sets[keys_of] = strings(" ".join(keys_of))
        new = bool(overview.is_new(f, keys))
        since = first_seen.get("|".join(f.key)) if first_seen else None
        findings.append(_finding_row(f, w, rule_pos[f.rule_id], pieces, strings, new, since))
        if f.status in (Status.FAIL, Status.ERROR):
            heat.add(rule_pos[f.rule_id])
    workspaces = []
    for n, row in enumerate(rows):
        inst = mappers[n].instance
        model = diagram_model(
            inst,
            [],
            rules,
            projects.get(ids.norm(row.id), []),
            placed=placed[n],
            facts=diagram_facts(inst, result.inventory),
        )
        _intern(model, strings)
        workspaces.append(
            [
                row.name,
                row.id,
                row.subscription,
                row.resource_group,
                row.state,
                row.worst.label if row.worst is not None else "",
                row.failing,
                row.errors,
                row.new,
                model,
            ]
        )
    return {
        "st": _ST,
        "rules": rule_rows,
        "ws": workspaces,
        "f": findings,
        "s": strings.items,
        "heat_rules": sorted(heat),
        "page": PAGE,
        "heat_page": HEAT_PAGE,
        "overview_page": OVERVIEW_PAGE,
    }
