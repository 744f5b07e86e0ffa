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
from amlguard.reports.html_assets import CSS, DONE_JS, GUARD_JS, MAIN_JS
from amlguard.reports.htmldata import (
    HEAT_PAGE,
    OVERVIEW_PAGE,
    PAGE,
    STATUS_ORDER,
    diagram_of,
    report_data,
)
from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.reports.svg import trend_chart
from amlguard.reports.text import gap_text, verdict
from amlguard.scanner import ids
from amlguard.scanner.model import ScanResult, Severity, Status
from amlguard.textsafe import LINE_LIMIT, bounded, visible, visible_deep

__all__ = [
    "HEAT_PAGE",
    "OVERVIEW_PAGE",
    "PAGE",
    "HtmlReport",
    "diagram_of",
    "overview_html",
    "report_data",
]

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


def _esc(value: object) -> str:
    """Data for the page's markup: controls and bidi overrides visible, then HTML-escaped."""
    return escape(bounded(str(visible(str(value))), LINE_LIMIT))


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _csp() -> str:
    hashes = " ".join(_csp_hash(s) for s in (GUARD_JS, MAIN_JS, DONE_JS))
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _json_block(data: dict[str, Any]) -> str:
    # Controls and bidi overrides in names would reach the page's text as themselves.
    text = json.dumps(visible_deep(data), separators=(",", ":"), ensure_ascii=False, default=str)
    # Nothing in the block can end it or open a comment: every '<' is an escape.
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script type="application/json" id="report-data">{text}</script>'


def _options(values: list[str]) -> str:
    return "".join(f'<option value="{_esc(v)}">{_esc(v)}</option>' for v in values)


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
        f'<p class="headline" id="headline">{_esc(overview.headline(rows, history))}</p>',
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
            f'data-name="{_esc(r.name)}" data-sub="{_esc(r.subscription)}" '
            f'data-rg="{_esc(r.resource_group)}" data-sev="{worst}" data-rank="{rank}" '
            f'data-failing="{r.failing}" data-errors="{r.errors}" data-new="{r.new}" '
            f'data-rules=" {_esc(rule_list)} "><td><span class="badge b-{"pass" if r.state == "ok" else r.state}">'
            f'{r.state}</span></td><td><span class="wsname" title="{_esc(r.id)}">{_esc(r.name)}</span></td>'
            f'<td class="sev-{worst}">{worst or "-"}</td><td>{r.failing}</td><td>{r.errors}</td>'
            + (f"<td>{r.new}</td>" if history else "")
            + f"<td><code>{_esc(r.subscription)}</code></td><td>{_esc(r.resource_group)}</td></tr>"
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
            f'<span data-legend="{key}"><i style="{_LEGEND_STYLE[key]}"></i>{_esc(words)}</span>'
            for key, words in _LEGEND
        )
        body = [
            f"<h1>amlguard report: {_esc(src.description)}</h1>",
            f'<p class="meta">Scanned {_esc(src.kind)} at {_esc(result.scan_time)} with '
            f"amlguard {_esc(__version__)}, rule pack {_esc(result.pack_version)} "
            f"({len(result.rules)} rule(s)), {len(result.instances)} workspace(s).</p>",
            f'<div class="verdict {tone}" id="verdict">{_esc(text)}</div>',
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
            f"<title>amlguard: {_esc(text)}</title><style>{CSS}</style>"
            f"<script>{GUARD_JS}</script></head><body><main>"
            + "\n".join(b for b in body if b)
            + f"</main><script>{MAIN_JS}</script><script>{DONE_JS}</script></body></html>\n"
        )

    @staticmethod
    def _cards(result: ScanResult) -> str:
        counts = result.counts()
        cards = "".join(
            f'<div class="card {s.value}"><b id="count-{s.value}">{counts[s.value]}</b>{s.value}</div>'
            for s in STATUS_ORDER
        )
        total = f'<div class="card"><b id="count-total">{len(result.findings)}</b>findings</div>'
        return f'<div class="cards">{cards}{total}</div>'

    @staticmethod
    def _gaps(result: ScanResult) -> str:
        items = [f"<li>{_esc(gap_text(g))}</li>" for g in result.source.gaps] + [
            f"<li>warning: {_esc(w)}</li>" for w in result.warnings
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
            f"{int(history.get('scan_id', 0))} of scope {_esc(str(history.get('scope', '')))}. "
            f"{_esc(since)}</p>" + trend_chart(history.get("trend") or [])
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
            + _select("f-status", "Status", [s.value for s in STATUS_ORDER])
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
