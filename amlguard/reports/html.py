"""The HTML report: one self-contained page a manager or auditor opens in a browser.

Everything is inline (CSS, JS, SVG) and a Content-Security-Policy forbids any network access and
any script but the page's own (pinned by hash), so even a resource name that slipped past
escaping could not run. Every piece of user data goes through ``html.escape``.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter, defaultdict
from html import escape
from typing import Any

from amlguard import __version__
from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.reports.svg import diagram, pieces_of, trend_chart
from amlguard.reports.text import (
    gap_text,
    short_if_id,
    short_name,
    suppression_text,
    value_text,
    verdict,
)
from amlguard.scanner.model import Finding, ScanResult, Severity, Status

#: Matching findings laid out at once (more on request); the rest wait hidden.
PAGE = 500

_STATUS_ORDER = [Status.ERROR, Status.FAIL, Status.PASS, Status.SUPPRESSED, Status.SKIPPED]

_CSS = """
:root{--fail:#c62828;--fail-bg:#fdecea;--err:#6a1b9a;--err-bg:#f3e5f5;--pass:#2e7d32;
--pass-bg:#e8f5e9;--mute:#757575;--mute-bg:#f1f1f1;--line:#d0d7de}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;
margin:0;color:#1f2328;background:#fafbfc}main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}.meta{color:var(--mute)}
.verdict{padding:14px 18px;border-radius:8px;font-size:17px;font-weight:600;margin:16px 0}
.verdict.ok{background:var(--pass-bg);color:var(--pass)}.verdict.bad{background:var(--fail-bg);
color:var(--fail)}.verdict.incomplete{background:var(--err-bg);color:var(--err)}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{background:#fff;border:1px solid var(--line);
border-radius:8px;padding:8px 14px;min-width:110px}.card b{display:block;font-size:22px}
.card.fail b{color:var(--fail)}.card.error b{color:var(--err)}.card.pass b{color:var(--pass)}
section.instance{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;
margin:14px 0}svg{width:100%;height:auto;display:block}svg .link{stroke:#c5ccd3;stroke-width:1.5}
.piece rect{stroke-width:2;fill:var(--mute-bg);stroke:#bdbdbd}.piece{cursor:pointer}
.piece.st-none rect{stroke-dasharray:5 4}.piece.st-fail rect{fill:var(--fail-bg);stroke:var(--fail)}
.piece.st-error rect{fill:var(--err-bg);stroke:var(--err)}.piece.st-pass rect{fill:var(--pass-bg);
stroke:var(--pass)}.piece .lbl{font-weight:600;font-size:13px}.piece .sub,.sub{font-size:12px;
fill:#444}.piece .tally{font-size:11px;fill:#555}.piece:focus rect,.piece.active rect{stroke-width:4}
.trend{max-width:760px}.trend .axis{stroke:#888}.trend .tick{font-size:11px;fill:#555}.trend .series{fill:none;
stroke-width:2}.trend .fail{stroke:var(--fail)}.trend .err{stroke:var(--err);stroke-dasharray:4 3}
.trend .dot{fill:var(--fail)}.trend .dot.incomplete{fill:#fff;stroke:var(--err);stroke-width:2}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0}
select,input{font:inherit;padding:4px 6px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}td.msg{word-break:break-word}.badge{display:inline-block;
padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600}.b-fail{background:var(--fail-bg);
color:var(--fail)}.b-error{background:var(--err-bg);color:var(--err)}.b-pass{background:var(--pass-bg);
color:var(--pass)}.b-suppressed,.b-skipped{background:var(--mute-bg);color:var(--mute)}
.new{background:#fff3cd;color:#7a5b00}.detail{color:#555;font-size:12px}code{font-size:12px}
.fix{white-space:pre-line}.hidden{display:none}#piece-chip button{margin-left:6px}
"""

# Collects script errors (and console.error calls) so a headless browser test can see them.
_GUARD_JS = (
    "window.__errors=[];window.addEventListener('error',function(e){window.__errors.push("
    "String(e.message||e.type))});document.addEventListener('securitypolicyviolation',"
    "function(e){window.__errors.push('CSP blocked '+e.violatedDirective)});(function(){var c=console.error;console.error=function(){"
    "window.__errors.push(Array.prototype.join.call(arguments,' '));return c.apply(console,"
    "arguments)}})();"
)

_MAIN_JS = """
(function(){
  var rows=Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'));
  var sev=document.getElementById('f-severity'),st=document.getElementById('f-status'),
      rule=document.getElementById('f-rule'),text=document.getElementById('f-text'),
      chip=document.getElementById('piece-chip'),piece='';
  // Only the first `limit` matching rows are laid out: a tenant's tens of thousands of rows
  // would otherwise take the browser most of a minute to render.
  var PAGE=__PAGE__,limit=PAGE,more=document.getElementById('more');
  function apply(){
    var q=text.value.trim().toLowerCase(),shown=0;
    rows.forEach(function(r){
      var ok=(!sev.value||r.dataset.severity===sev.value)&&(!st.value||r.dataset.status===st.value)
        &&(!rule.value||r.dataset.rule===rule.value)
        &&(!piece||(' '+r.dataset.pieces+' ').indexOf(' '+piece+' ')>=0)
        &&(!q||r.textContent.toLowerCase().indexOf(q)>=0);
      if(ok){shown++;}
      r.classList.toggle('hidden',!ok||shown>limit);
    });
    document.getElementById('shown-count').textContent=String(shown);
    more.classList.toggle('hidden',shown<=limit);
    if(shown>limit){more.textContent='Show '+Math.min(PAGE,shown-limit)+' more of '+(shown-limit)+' not displayed';}
    chip.classList.toggle('hidden',!piece);
  }
  // Filters live in the address (#status=fail&severity=high&rule=...&q=...), so a filtered
  // view can be bookmarked or sent to someone.
  var fields={severity:sev,status:st,rule:rule,q:text};
  function fromHash(){
    var h=location.hash.replace(/^#/,'');
    h.split('&').forEach(function(kv){
      var i=kv.indexOf('='),k=kv.slice(0,i),v=decodeURIComponent(kv.slice(i+1));
      var el=fields[k];
      if(el&&i>0&&(el===text||Array.prototype.some.call(el.options,function(o){return o.value===v;}))){el.value=v;}
    });
  }
  function toHash(){
    var parts=[];
    Object.keys(fields).forEach(function(k){
      if(fields[k].value){parts.push(k+'='+encodeURIComponent(fields[k].value));}});
    history.replaceState(null,'',parts.length?'#'+parts.join('&'):location.pathname);
  }
  function refilter(){limit=PAGE;apply();toHash();}
  [sev,st,rule].forEach(function(el){el.addEventListener('change',refilter);});
  text.addEventListener('input',refilter);
  more.addEventListener('click',function(){limit+=PAGE;apply();});
  fromHash();
  document.querySelectorAll('.piece').forEach(function(g){
    function pick(){
      piece=(piece===g.dataset.piece)?'':g.dataset.piece;
      document.querySelectorAll('.piece').forEach(function(o){
        o.classList.toggle('active',o.dataset.piece===piece);});
      document.getElementById('piece-name').textContent=piece?g.querySelector('title').textContent:'';
      limit=PAGE;apply();document.getElementById('findings').scrollIntoView({block:'start'});
    }
    g.addEventListener('click',pick);
    g.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();pick();}});
  });
  document.getElementById('piece-clear').addEventListener('click',function(){
    piece='';document.querySelectorAll('.piece').forEach(function(o){o.classList.remove('active');});
    apply();});
  apply();
})();
""".replace("__PAGE__", str(PAGE))

# Runs last, as its own script, so it reports even when the main script failed to parse.
_DONE_JS = (
    "document.documentElement.setAttribute('data-js-errors',String(window.__errors.length));"
    "document.documentElement.setAttribute('data-js-error-text',window.__errors.join(' | '));"
    "document.documentElement.setAttribute('data-js-ready','1');"
)


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _csp() -> str:
    hashes = " ".join(_csp_hash(s) for s in (_GUARD_JS, _MAIN_JS, _DONE_JS))
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _value(value: Any) -> str:
    """Like :func:`value_text`, but the ids in a list cut to their last segment."""
    if isinstance(value, list):
        return ", ".join(short_if_id(str(v)) for v in value)
    return value_text(value)


def _key(f: Finding) -> str:
    return "|".join(f.key)


@register
class HtmlReport(Report):
    """A single self-contained HTML page: verdict, diagrams, filterable findings, trend."""

    name = "html"
    suffix = ".html"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        """The whole page; ``options.extra['history']`` (from ``--history``) adds the trend."""
        history = options.extra.get("history") or {}
        by_instance: dict[str, list[Finding]] = defaultdict(list)
        for f in result.findings:
            by_instance[f.instance.lower()].append(f)
        text = verdict(result, options.fail_on)
        tone = (
            "ok"
            if text.startswith("PASSED")
            else "incomplete"
            if text.startswith("INCOMPLETE")
            else "bad"
        )
        src = result.source
        body = [
            f"<h1>amlguard report: {escape(src.description)}</h1>",
            f'<p class="meta">Scanned {escape(src.kind)} at {escape(result.scan_time)} with '
            f"amlguard {escape(__version__)}, rule pack {escape(result.pack_version)} "
            f"({len(result.rules)} rule(s)), {len(result.instances)} instance(s).</p>",
            f'<div class="verdict {tone}" id="verdict">{escape(text)}</div>',
            self._cards(result),
            self._gaps(result),
            self._history(history),
            "<h2>Instances</h2>",
        ]
        if not result.instances:
            body.append("<p>No Azure Machine Learning workspace found in the scanned estate.</p>")
        for i, inst in enumerate(result.instances):
            body.append(self._instance(inst, by_instance.get(inst.id.lower(), []), i))
        body.append(self._table(result, history))
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{escape(_csp(), quote=False)}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>amlguard: {escape(text)}</title><style>{_CSS}</style>"
            f"<script>{_GUARD_JS}</script></head><body><main>"
            + "\n".join(b for b in body if b)
            + f"</main><script>{_MAIN_JS}</script><script>{_DONE_JS}</script></body></html>\n"
        )

    @staticmethod
    def _cards(result: ScanResult) -> str:
        counts = result.counts()
        cards = "".join(
            f'<div class="card {s.value}"><b id="count-{s.value}">{counts[s.value]}</b>{s.value}</div>'
            for s in _STATUS_ORDER
        )
        return f'<div class="cards">{cards}<div class="card"><b id="count-total">{len(result.findings)}</b>findings</div></div>'

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
    def _instance(inst: Any, findings: list[Finding], index: int) -> str:
        counts = Counter(f.status.value for f in findings)
        tally = ", ".join(f"{counts[s.value]} {s.value}" for s in _STATUS_ORDER if counts[s.value])
        return (
            f'<section class="instance" data-instance="{escape(inst.id)}">'
            f'<h3>{escape(inst.name)}</h3><p class="meta"><code>{escape(inst.id)}</code><br>'
            f"{escape(tally or 'no findings')}. Click a piece to list its findings.</p>"
            + diagram(inst, findings, index)
            + "</section>"
        )

    def _table(self, result: ScanResult, history: dict[str, Any]) -> str:
        index = {inst.id.lower(): (i, inst) for i, inst in enumerate(result.instances)}
        new_keys = set(history.get("new_keys") or [])
        first_seen = history.get("first_seen") or {}
        order = sorted(
            result.findings,
            key=lambda f: (
                _STATUS_ORDER.index(f.status),
                -f.severity,
                f.rule_id,
                f.resource_id.lower(),
            ),
        )
        rows: list[str] = []
        for f in order:
            i, inst = index.get(f.instance.lower(), (None, None))
            pieces = " ".join(f"i{i}:{p}" for p in pieces_of(f, inst)) if inst is not None else ""
            row = self._row(f, pieces, inst, _key(f) in new_keys, first_seen.get(_key(f)))
            # Beyond the first page rows start hidden, so the first layout is quick without JS.
            rows.append(row if len(rows) < PAGE else row.replace("<tr ", '<tr class="hidden" ', 1))
        rules = sorted({f.rule_id for f in result.findings})
        present_sev = [
            s
            for s in sorted(Severity, reverse=True)
            if any(f.severity is s for f in result.findings)
        ]

        def select(ident: str, label: str, values: list[str]) -> str:
            opts = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
            return f'<label>{label} <select id="{ident}"><option value="">all</option>{opts}</select></label>'

        return (
            '<h2>Findings</h2><div class="filters">'
            + select("f-severity", "Severity", [s.label for s in present_sev])
            + select("f-status", "Status", [s.value for s in _STATUS_ORDER])
            + select("f-rule", "Rule", rules)
            + '<label>Search <input id="f-text" type="search" placeholder="resource, message"></label>'
            + f'<span>Showing <b id="shown-count">{len(rows)}</b> of <b id="total-count">{len(rows)}</b></span>'
            + '<span id="piece-chip" class="hidden">piece: <i id="piece-name"></i>'
            '<button id="piece-clear" type="button">clear</button></span></div>'
            '<table id="findings"><thead><tr><th>Status</th><th>Severity</th><th>Rule</th>'
            "<th>Resource</th><th>Instance</th><th>Finding</th></tr></thead><tbody>"
            + "".join(rows)
            + '</tbody></table><p><button id="more" type="button" class="hidden">more</button></p>'
        )

    @staticmethod
    def _row(f: Finding, pieces: str, inst: Any, new: bool, since: str | None) -> str:
        detail = []
        if f.status is Status.FAIL:
            if f.expected is not None:
                detail.append(f"expected: {escape(_value(f.expected))}")
            detail.append(f"found: {escape(_value(f.actual))}")
            if f.path:
                detail.append(f"where: <code>{escape(f.path)}</code>")
        if f.remediation and f.status in (Status.FAIL, Status.ERROR):
            detail.append(f'<span class="fix">fix: {escape(f.remediation)}</span>')
        if f.suppression:
            detail.append(f"suppressed: {escape(suppression_text(f.suppression))}")
        marks = ' <span class="badge new">new</span>' if new else ""
        if since:
            marks += f' <span class="detail">since {escape(since)}</span>'
        return (
            f'<tr data-status="{f.status.value}" data-severity="{f.severity.label}" '
            f'data-rule="{escape(f.rule_id)}" data-pieces="{escape(pieces)}">'
            f'<td><span class="badge b-{f.status.value}">{f.status.value}</span>{marks}</td>'
            f'<td>{f.severity.label}</td><td>{escape(f.rule_id)}<div class="detail">'
            f"{escape(f.rule_name)}</div></td>"
            f'<td title="{escape(f.resource_id)}">{escape(short_name(f.resource_id))}'
            f'<div class="detail">{escape(f.resource_type)}</div></td>'
            f"<td>{escape(inst.name if inst is not None else short_name(f.instance))}</td>"
            f'<td class="msg">{escape(f.message)}<div class="detail">{"<br>".join(detail)}</div></td></tr>'
        )
