"""The HTML report: one self-contained page a fleet owner or auditor opens in a browser.

Overview first (a headline counting workspaces, then a sortable, filterable table of every
workspace, worst first), a rule x workspace heat map, the selected (else the worst) workspace's
blueprint diagram with a legend, and the findings a page at a time. The findings and diagram
models travel as one JSON block the page's script draws on demand, so 3,000 workspaces make a
page of a few megabytes, not one SVG and a few dozen table rows each.

Everything is inline and a Content-Security-Policy forbids any network access and any script but
the page's own (pinned by hash). Data we did not write is escaped in the HTML, ``<``-escaped in
the JSON block, and only ever inserted by the script as text.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from html import escape
from typing import Any

from amlguard import __version__
from amlguard.reports import overview
from amlguard.reports.diagramfacts import facts as diagram_facts
from amlguard.reports.html_assets import CSS, DONE_JS, GUARD_JS, MAIN_JS
from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.reports.ruledocs import doc_url
from amlguard.reports.svg import Pieces, diagram_model, hub_projects, trend_chart
from amlguard.reports.text import gap_text, short_if_id, suppression_text, value_text, verdict
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, ScanResult, Severity, Status

#: Matching findings laid out at once (more on request).
PAGE = 500
#: Heat map rows laid out at once (more on request).
HEAT_PAGE = 100
#: Overview rows laid out at once (more on request); the rest are in the page, hidden.
OVERVIEW_PAGE = 200

_STATUS_ORDER = [
    Status.ERROR,
    Status.FAIL,
    Status.PASS,
    Status.SUPPRESSED,
    Status.SKIPPED,
    Status.KNOWN,
]
_ST = ["error", "fail", "pass", "suppressed", "skipped", "known"]
_LEGEND = [
    ("critical", "failing, critical"),
    ("high", "failing, high"),
    ("medium", "failing, medium"),
    ("low", "failing, low"),
    ("error", "could not be judged"),
    ("pass", "passes"),
    ("none", "no rule judged it (dashed)"),
]
_LEGEND_STYLE = {
    "critical": "border-color:var(--crit);background:var(--fail-bg)",
    "high": "border-color:var(--high);background:var(--fail-bg)",
    "medium": "border-color:var(--med);background:var(--fail-bg)",
    "low": "border-color:var(--low);background:var(--fail-bg)",
    "error": "border-color:var(--err);background:var(--err-bg)",
    "pass": "border-color:var(--pass);background:var(--pass-bg)",
    "none": "border-color:#bdbdbd;border-style:dashed;background:var(--mute-bg)",
}


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _csp() -> str:
    hashes = " ".join(_csp_hash(s) for s in (GUARD_JS, MAIN_JS, DONE_JS))
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


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
            _STATUS_ORDER.index(wf[1].status),
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


def _json_block(data: dict[str, Any]) -> str:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    # Nothing in the block can end it or open a comment: every '<' is an escape.
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script type="application/json" id="report-data">{text}</script>'


def _options(values: list[str]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)


def _select(ident: str, label: str, values: list[str]) -> str:
    return (
        f'<label>{label} <select id="{ident}"><option value="">all</option>'
        f"{_options(values)}</select></label>"
    )


def overview_html(result: ScanResult, options: ReportOptions) -> str:
    """The overview section: headline, filters and one row per workspace, worst first."""
    keys = overview.new_keys(options.extra)
    rows = overview.lines(result, keys)
    failing_rules: dict[str, set[str]] = {}
    for f in result.findings:
        if f.status is Status.FAIL:
            failing_rules.setdefault(ids.norm(f.instance), set()).add(f.rule_id)
    history = overview.tracks_new(result, options.extra)
    subs = sorted({r.subscription for r in rows})
    groups = sorted({r.resource_group for r in rows})
    rules = sorted({rid for s in failing_rules.values() for rid in s})
    sevs = [s.label for s in sorted(Severity, reverse=True) if any(r.worst is s for r in rows)]
    out = [
        '<section id="overview-section"><h2>Workspaces</h2>',
        f'<p class="headline" id="headline">{escape(overview.headline(rows, history))}</p>',
        '<div class="filters">',
        _select("o-sub", "Subscription", subs),
        _select("o-rg", "Resource group", groups),
        _select("o-sev", "Worst severity", sevs),
        _select("o-rule", "Failing rule", rules),
        '<label><input id="o-new" type="checkbox"> with new failures</label>' if history else "",
        '<label>Search <input id="o-text" type="search" placeholder="workspace"></label>',
        f'<span>Showing <b id="o-shown">{len(rows)}</b> of {len(rows)}</span></div>',
        '<div class="scroll"><table id="overview"><thead><tr><th>state</th>'
        '<th data-sort="name">workspace</th><th data-sort="rank">worst</th>'
        '<th data-sort="failing">failing</th><th data-sort="errors">not judged</th>'
        + ('<th data-sort="new">new</th>' if history else "")
        + '<th data-sort="sub">subscription</th><th data-sort="rg">resource group</th></tr></thead><tbody>',
    ]
    for n, r in enumerate(rows):
        worst = r.worst.label if r.worst is not None else ""
        rank = -1 if r.worst is None else int(r.worst)
        rule_list = " ".join(sorted(failing_rules.get(ids.norm(r.id), ())))
        hidden = ' class="hidden"' if n >= OVERVIEW_PAGE else ""
        out.append(
            f'<tr{hidden} data-w="{n}" '
            f'data-name="{escape(r.name)}" data-sub="{escape(r.subscription)}" '
            f'data-rg="{escape(r.resource_group)}" data-sev="{worst}" data-rank="{rank}" '
            f'data-failing="{r.failing}" data-errors="{r.errors}" data-new="{r.new}" '
            f'data-rules=" {escape(rule_list)} "><td><span class="badge b-{"pass" if r.state == "ok" else r.state}">'
            f'{r.state}</span></td><td><span class="wsname" title="{escape(r.id)}">{escape(r.name)}</span></td>'
            f'<td class="sev-{worst}">{worst or "-"}</td><td>{r.failing}</td><td>{r.errors}</td>'
            + (f"<td>{r.new}</td>" if history else "")
            + f"<td><code>{escape(r.subscription)}</code></td><td>{escape(r.resource_group)}</td></tr>"
        )
    out.append(
        '</tbody></table></div><p><button id="o-more" type="button" class="hidden">more</button>'
        "</p></section>"
    )
    return "\n".join(o for o in out if o)


@register
class HtmlReport(Report):
    """A single self-contained HTML page: verdict, overview, heat map, diagram, findings, trend."""

    name = "html"
    suffix = ".html"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        """The whole page; ``options.extra['history']`` (from ``--history``) adds the trend."""
        history = options.extra.get("history") or {}
        text = verdict(result, options.fail_on)
        tone = (
            "ok"
            if text.startswith("PASSED")
            else "incomplete"
            if text.startswith("INCOMPLETE")
            else "bad"
        )
        src = result.source
        legend = "".join(
            f'<span data-legend="{key}"><i style="{_LEGEND_STYLE[key]}"></i>{escape(words)}</span>'
            for key, words in _LEGEND
        )
        body = [
            f"<h1>amlguard report: {escape(src.description)}</h1>",
            f'<p class="meta">Scanned {escape(src.kind)} at {escape(result.scan_time)} with '
            f"amlguard {escape(__version__)}, rule pack {escape(result.pack_version)} "
            f"({len(result.rules)} rule(s)), {len(result.instances)} workspace(s).</p>",
            f'<div class="verdict {tone}" id="verdict">{escape(text)}</div>',
            self._cards(result),
            self._gaps(result),
            ""
            if result.instances
            else "<p>No Azure Machine Learning workspace found in the scanned estate.</p>",
            overview_html(result, options),
            '<section id="heat-section"><h2>Rule \u00d7 workspace</h2><p class="meta">'
            '<b id="heat-count">0</b> drifted workspace(s) in the overview\'s filter; click a cell '
            'for its findings.</p><div id="heatmap" class="scroll"></div></section>',
            '<section id="diagram-section"><h2>Blueprint</h2><p class="meta" id="diagram-title"></p>'
            f'<div id="legend">{legend}</div><div id="diagram"></div></section>',
            self._history(history),
            self._table(result),
            _json_block(report_data(result, options)),
        ]
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{escape(_csp(), quote=False)}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>amlguard: {escape(text)}</title><style>{CSS}</style>"
            f"<script>{GUARD_JS}</script></head><body><main>"
            + "\n".join(b for b in body if b)
            + f"</main><script>{MAIN_JS}</script><script>{DONE_JS}</script></body></html>\n"
        )

    @staticmethod
    def _cards(result: ScanResult) -> str:
        counts = result.counts()
        cards = "".join(
            f'<div class="card {s.value}"><b id="count-{s.value}">{counts[s.value]}</b>{s.value}</div>'
            for s in _STATUS_ORDER
        )
        total = f'<div class="card"><b id="count-total">{len(result.findings)}</b>findings</div>'
        return f'<div class="cards">{cards}{total}</div>'

    @staticmethod
    def _gaps(result: ScanResult) -> str:
        items = [f"<li>{escape(gap_text(g))}</li>" for g in result.source.gaps] + [
            f"<li>warning: {escape(w)}</li>" for w in result.warnings
        ]
        if not items:
            return ""
        head = (
            "The scan is incomplete: these findings cannot all be trusted."
            if result.source.gaps
            else ""
        )
        return f'<div class="gaps"><p><b>{head}</b></p><ul>{"".join(items)}</ul></div>'

    @staticmethod
    def _history(history: dict[str, Any]) -> str:
        if not history:
            return ""
        diff = history.get("diff") or {}
        prev = history.get("previous_scan_id")
        since = (
            f"Since scan {int(prev)}: {int(diff.get('new', 0))} new, "
            f"{int(diff.get('resolved', 0))} resolved, {int(diff.get('still_failing', 0))} still "
            f"failing, {int(diff.get('unjudged', 0))} could not be judged."
            if prev is not None
            else "The first recorded scan of this scope."
        )
        return (
            f'<h2>Over time</h2><p class="meta" id="history-line">Recorded as scan '
            f"{int(history.get('scan_id', 0))} of scope {escape(str(history.get('scope', '')))}. "
            f"{escape(since)}</p>" + trend_chart(history.get("trend") or [])
        )

    @staticmethod
    def _table(result: ScanResult) -> str:
        counts = Counter(f.rule_id for f in result.findings)
        present_sev = [
            s.label
            for s in sorted(Severity, reverse=True)
            if any(f.severity is s for f in result.findings)
        ]
        return (
            '<h2>Findings</h2><div class="filters">'
            + _select("f-severity", "Severity", present_sev)
            + _select("f-status", "Status", [s.value for s in _STATUS_ORDER])
            + _select("f-rule", "Rule", sorted(counts))
            + '<label><input id="f-new" type="checkbox"> new only</label>'
            + '<label>Search <input id="f-text" type="search" placeholder="resource, message"></label>'
            + f'<span>Showing <b id="shown-count">{len(result.findings)}</b> of '
            f'<b id="total-count">{len(result.findings)}</b></span>'
            + '<span id="ws-chip" class="chip hidden">workspace: <i id="ws-name"></i>'
            '<button id="ws-clear" type="button">clear</button></span></div>'
            '<table id="findings"><thead><tr><th>Status</th><th>Severity</th><th>Rule</th>'
            "<th>Resource</th><th>Workspace</th><th>Finding</th></tr></thead><tbody></tbody>"
            '</table><p><button id="more" type="button" class="hidden">more</button></p>'
        )
