"""The JSON report: a documented, stable document (``policies/schemas/findings.schema.json``)."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring
from typing import Any

from amlguard import __version__
from amlguard.reports import json_lines
from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.reports.json_head import head_text as _head_text
from amlguard.reports.overview import is_new, new_keys
from amlguard.reports.text import short_name
from amlguard.scanner.model import Finding, ScanResult, Severity, Status, review_dict

#: 2.0: findings gained title, fixable, resource_name and new; remediation became
#: ``{summary, command}`` (it was one string, summary and command on two lines): CHANGELOG.md.
SCHEMA_VERSION = "2.0"

# What json.dumps(obj, default=str, ensure_ascii=False) builds on every call; one per finding
# made building encoders a tenth of the report's time.
_FINDING_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)

#: What JSON allows raw but a terminal or a reader does not show as it is (DEL and C1 controls,
#: zero-width and bidi controls, the line and paragraph separators, BOM): written as ``\uXXXX``
#: in the finding lines, as the report head's ASCII JSON writes them (redteam9 #15). Only
#: strings hold them, so the escape never changes a value.
_HIDDEN = re.compile(
    "[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def _escaped(char: re.Match[str]) -> str:
    return f"\\u{ord(char.group()):04x}"


def _shown(text: str) -> str:
    """JSON ``text`` with :data:`_HIDDEN` characters escaped."""
    return _HIDDEN.sub(_escaped, text) if _HIDDEN.search(text) else text


def _encode(value: Any) -> str:
    """``value`` as the report's finding lines write it (non-ASCII raw, hidden ones escaped)."""
    return _shown(_FINDING_ENCODER.encode(value))


#: Findings per (instance, severity, status): one pass that both summaries share.
Tally = Counter[tuple[str, Severity, Status]]

# Each finding sits on its own line, after this separator (the first one's is trimmed).
_SEP = json_lines.SEP


def tally(result: ScanResult) -> Tally:
    """Count the findings once by (instance, severity, status) for :func:`summary` and co."""
    return Counter((f.instance, f.severity, f.status) for f in result.findings)


def summary(result: ScanResult, counts: Tally | None = None) -> dict[str, Any]:
    """Counts by status, and by severity then status."""
    by_status = {s.value: 0 for s in Status}
    by_severity: dict[str, dict[str, int]] = {
        sev.label: {s.value: 0 for s in Status} for sev in sorted(Severity, reverse=True)
    }
    # Count enum members, name them once: .value/.label per finding cost more than the count.
    pairs: Counter[tuple[Severity, Status]] = Counter()
    for (_, severity, status), n in (tally(result) if counts is None else counts).items():
        pairs[severity, status] += n
    for (severity, status), n in pairs.items():
        by_status[status.value] += n
        by_severity[severity.label][status.value] += n
    return {
        "instances": len(result.instances),
        "findings": len(result.findings),
        "by_status": by_status,
        "by_severity": by_severity,
    }


def instance_counts(result: ScanResult, counts: Tally | None = None) -> list[dict[str, Any]]:
    """One entry per instance: id, name and counts by status."""
    zero = {s.value: 0 for s in Status}
    by_instance: dict[str, dict[str, int]] = {}
    for (instance, _, status), n in (tally(result) if counts is None else counts).items():
        entry = by_instance.get(instance)
        if entry is None:
            entry = by_instance[instance] = dict(zero)
        entry[status.value] += n
    return [
        {
            "id": inst.id,
            "name": inst.name,
            # a hub's projects (reports list them under it); other workspaces keep the plain shape
            **({"projects": inst.project_summaries()} if inst.projects else {}),
            "counts": by_instance.get(inst.id) or dict(zero),
        }
        for inst in result.instances
    ]


def _head(result: ScanResult) -> dict[str, Any]:
    """The document up to, not including, its findings (always the last entry)."""
    src = result.source
    counts = tally(result)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "amlguard", "version": __version__},
        "scan_time": result.scan_time,
        "source": {
            "kind": src.kind,
            "description": src.description,
            "complete": src.complete,
            "gaps": [{"reason": g.reason, "scope": g.scope} for g in src.gaps],
            "stats": src.stats,
        },
        "rule_pack": {"version": result.pack_version, "hash": result.pack_hash},
        "summary": summary(result, counts),
        "warnings": list(result.warnings),
        **({"baseline": result.baseline} if result.baseline is not None else {}),
        "instances": instance_counts(result, counts),
    }


def document(result: ScanResult, options: ReportOptions | None = None) -> dict[str, Any]:
    """The JSON document as a Python object (other formats and tests reuse it)."""
    facts = rule_facts(result)
    keys = new_keys(options.extra) if options is not None else None
    located = (options.extra.get("locations") or {}) if options is not None else {}
    return {
        **_head(result),
        "findings": [
            finding_dict(
                f,
                facts,
                is_new(f, keys),
                located.get("|".join(map(str, f.key))) if located else None,
            )
            for f in result.findings
        ],
    }


class _Encoded(dict[str, str]):
    """JSON text of each distinct string, encoded on first use.

    A scan repeats the same resource ids, instance ids, messages and remediations across many
    findings; a lookup is ~15x cheaper than encoding a 150-character id again.
    """

    def __missing__(self, text: str) -> str:
        # encode_basestring is what the ensure_ascii=False encoder uses for every string, and it
        # raises TypeError on anything else, which sends the finding down the generic path.
        encoded = self[text] = _shown(encode_basestring(text))
        return encoded


#: What a report needs of a rule for each of its findings: title and whether amlguard fixes it.
RuleFacts = dict[str, tuple[str, bool]]


def rule_facts(result: ScanResult) -> RuleFacts:
    """Title and ``fixable`` (a built-in remediator repairs it) of every rule that ran."""
    return facts_of(result.rules)


def facts_of(rules: Iterable[Any]) -> RuleFacts:
    """:func:`rule_facts` of these rules."""
    out: RuleFacts = {}
    for rule in rules:
        remediation = getattr(rule, "remediation", None)
        out[rule.id] = (str(rule.title), bool(getattr(remediation, "remediator", None)))
    return out


def remediation_dict(text: str) -> dict[str, Any] | None:
    """``{summary, command}`` from a finding's remediation text; None when there is none."""
    if not text:
        return None
    summary_text, _, manual = (text if isinstance(text, str) else str(text)).partition("\n")
    command = "\n".join(line.strip() for line in manual.splitlines() if line.strip())
    return {"summary": summary_text.strip(), "command": command or None}


def finding_dict(
    f: Finding, facts: RuleFacts, new: bool | None, location: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One finding in the shape of ``findings.schema.json`` (schema_version 2)."""
    title, fixable = facts.get(f.rule_id, (f.rule_name, False))
    return {
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "title": title,
        "fixable": fixable,
        "severity": f.severity.label,
        "status": f.status.value,
        "resource_id": f.resource_id,
        "resource_name": short_name(f.resource_id) if isinstance(f.resource_id, str) else None,
        "resource_type": f.resource_type,
        "instance": f.instance,
        "message": f.message,
        "expected": f.expected,
        "actual": f.actual,
        "path": f.path,
        "remediation": remediation_dict(f.remediation),
        **({"new": new} if new is not None else {}),
        **review_dict(f.suppression, f.baseline_state, f.fixed_by),
        **({"location": location} if location else {}),
    }


def _generic_finding(
    f: Finding, facts: RuleFacts, new: bool | None, location: dict[str, Any] | None = None
) -> str:
    """One finding's line as :func:`finding_dict` says it: the reference for the fast path."""
    return _encode(finding_dict(f, facts, new, location))


def _append_findings(
    findings: Iterable[Finding], parts: list[str], facts: RuleFacts, keys: set[str] | None
) -> None:
    """Append each finding's text, preceded by ``_SEP``, to ``parts``.

    Byte for byte what :func:`_generic_finding` gives, without the dicts per finding: the
    opening ``rule_id``..``status`` text is encoded once per rule and status, strings and
    remediations once per distinct value, and only other values (expected/actual of any JSON
    type) go through the encoder. Anything that is not exactly a :class:`Finding` with real enum
    members, or with a value the fast path cannot type, takes the generic path.
    """
    opening: dict[tuple[Any, Any, Severity, Status], str] = {}
    text = _Encoded()
    remedies: dict[str, str] = {}
    names: dict[str, str] = {}  # a resource id's short name, encoded (~10 findings an id)
    extend = parts.extend
    for f in findings:
        sev = f.severity
        status = f.status
        state = f.baseline_state
        new = None if keys is None and state is None else is_new(f, keys)
        if type(f) is not Finding or type(sev) is not Severity or type(status) is not Status:
            extend((_SEP, _generic_finding(f, facts, new)))
            continue
        try:
            rule_id = f.rule_id
            rule_name = f.rule_name
            key = (rule_id, rule_name, sev, status)
            start = opening.get(key)
            if start is None:
                title, fixable = facts.get(rule_id, (rule_name, False))
                fields = {
                    "rule_id": rule_id,
                    "rule_name": rule_name,
                    "title": title,
                    "fixable": fixable,
                    "severity": sev.label,
                    "status": status.value,
                }
                start = f'{_SEP}{_encode(fields)[:-1]}, "resource_id": '
                # Equal keys must mean equal text: 1 == True == 1.0 would not, strings do.
                if type(rule_id) is str and type(rule_name) is str:
                    opening[key] = start
            rid = f.resource_id
            if type(rid) is str:
                name = names.get(rid)
                if name is None:
                    name = names[rid] = text[short_name(rid)]
            else:
                name = "null"
            remedy = f.remediation
            rem = remedies.get(remedy)
            if rem is None:
                rem = remedies[remedy] = _encode(remediation_dict(remedy))
            exp = f.expected
            act = f.actual
            path = f.path
            sup = f.suppression
            fixed = f.fixed_by
            if sup is None and not state and not fixed:
                tail = "}"  # what review_dict's empty dict closes with
            else:
                review = review_dict(sup, state, fixed)
                tail = "}" if not review else f", {_encode(review)[1:]}"
            piece: tuple[str, ...] = (
                start,
                text[rid],
                ', "resource_name": ',
                name,
                ', "resource_type": ',
                text[f.resource_type],
                ', "instance": ',
                text[f.instance],
                ', "message": ',
                text[f.message],
                ', "expected": ',
                "null" if exp is None else text[exp] if type(exp) is str else _encode(exp),
                ', "actual": ',
                "null" if act is None else text[act] if type(act) is str else _encode(act),
                ', "path": ',
                "null" if path is None else text[path] if type(path) is str else _encode(path),
                ', "remediation": ',
                rem,
                "" if new is None else (', "new": true' if new else ', "new": false'),
                tail,
            )
        except (TypeError, AttributeError):
            # A non-string where a string belongs (or an unhashable one): let the generic
            # encoder render it, or raise what it always raised.
            piece = (_SEP, _generic_finding(f, facts, new))
        extend(piece)


# The Finding fields the fast path was written against (``offenders`` is not in the report).
_FAST_FIELDS = (
    "rule_id",
    "rule_name",
    "severity",
    "status",
    "resource_id",
    "resource_type",
    "instance",
    "message",
    "expected",
    "actual",
    "path",
    "remediation",
    "offenders",
    "suppression",
    "baseline_state",
    "fixed_by",
)


@functools.cache
def fast_path_fits() -> bool:
    """Whether :func:`_append_findings` still writes what :func:`finding_dict` says.

    Checked once a process on samples, so a field added to :class:`Finding` or a change to the
    JSON shape costs speed (the generic path), never a wrong report.
    """
    if tuple(f.name for f in dataclasses.fields(Finding)) != _FAST_FIELDS:
        return False
    bare = Finding("R-1", "rule", Severity.LOW, Status.PASS, "/r", "t", "/i", "ok")
    full = dataclasses.replace(
        bare,
        status=Status.FAIL,
        expected=["a", 1, None],
        actual={"k": 1.5},
        path="properties.x",
        remediation="fix it\n  az x --y\n",
        offenders=("o",),
        suppression={"reason": "r"},
        baseline_state="new",
    )
    samples = [
        bare,
        full,
        dataclasses.replace(bare, baseline_state="known"),
        dataclasses.replace(bare, fixed_by="A1"),
    ]
    facts: RuleFacts = {"R-1": ("A title", True)}
    try:
        for keys in (None, {"|".join(full.key)}):
            parts: list[str] = []
            _append_findings(samples, parts, facts, keys)
            reference = "".join(_SEP + _generic_finding(f, facts, is_new(f, keys)) for f in samples)
            if "".join(parts) != reference:
                return False
    except Exception:  # a renamed attribute, say: the generic path still works
        return False
    return True


def _findings_text(
    findings: Sequence[Finding],
    parts: list[str],
    facts: RuleFacts,
    keys: set[str] | None,
    located: dict[str, Any] | None = None,
) -> None:
    """Append each finding's text, preceded by ``_SEP``, the fast way when it fits (a template
    scan's findings carry their line in the template: the generic path writes it)."""
    if located:
        for f in findings:
            where = located.get("|".join(map(str, f.key)))
            parts.extend((_SEP, _generic_finding(f, facts, is_new(f, keys), where)))
    elif fast_path_fits():
        _append_findings(findings, parts, facts, keys)
    else:
        for f in findings:
            parts.extend((_SEP, _generic_finding(f, facts, is_new(f, keys))))


def lines_text(findings: Sequence[Finding], facts: RuleFacts) -> str:
    """The findings' lines as the report writes them with no new markers and no locations,
    joined by ``_SEP`` (what :mod:`amlguard.reports.json_lines` keeps ahead)."""
    parts: list[str] = []
    _findings_text(findings, parts, facts, None)
    if parts:
        parts[0] = parts[0][len(_SEP) :]
    return "".join(parts)


@register
class JsonReport(Report):
    """Machine-readable findings for pipelines and other tools."""

    name = "json"
    suffix = ".json"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        # Indented head, one compact finding per line: readable and diff-friendly, and fast
        # (an indented dump runs the pure-Python encoder, 5x slower on a tenant's findings).
        head = _head_text(_head(result))
        if not result.findings:
            return head[:-2] + ',\n  "findings": []\n}\n'
        # One join into the final text: concatenating pieces copied the whole report 3 times.
        parts = [head[:-2], ',\n  "findings": [']
        facts = rule_facts(result)
        keys = new_keys(options.extra)
        located = options.extra.get("locations")
        findings = result.findings
        if keys is None and not located:  # the lines the check wrote while its worker judged
            ahead = json_lines.reuse(findings, facts, lambda fs: lines_text(fs, facts))
            if ahead is not None:
                parts[1] = ',\n  "findings": [\n    '
                parts += ahead[1]
                findings = findings[ahead[0] :]
        _findings_text(findings, parts, facts, keys, located)
        if len(parts) > 2 and parts[1][-1] == "[":
            parts[2] = "\n    " + parts[2][len(_SEP) :]
        parts.append("\n  ]\n}\n")
        return "".join(parts)
