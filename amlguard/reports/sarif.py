"""The SARIF 2.1.0 report, shaped for GitHub code scanning (``../shared/schemas/NOTES.md``).

One run; every rule that ran is a ``reportingDescriptor`` with GitHub's security-severity; one
result per failing or suppressed finding. Accepted risks carry a SARIF ``suppressions`` entry,
so GitHub shows them closed; baseline-known findings stay open alerts with ``baselineState:
unchanged`` (they are still problems, they only do not fail the gate). Findings that could not be judged are tool execution
notifications and make ``executionSuccessful`` false: they are not alerts about the estate.

``partialFingerprints.primaryLocationLineHash`` is ours (rule id + lower-cased resource id):
every result of one artifact points at a shared file, and GitHub's own line hash would merge
distinct resources into one alert.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from amlguard import __version__
from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.reports.locations import Located, Locator, Region, repository_root
from amlguard.reports.ruledocs import doc_url, generic_text, reference_url
from amlguard.reports.safe import code_block, markdown, terminal
from amlguard.reports.text import (
    clip,
    failure_text,
    gap_text,
    short_name,
    suppression_text,
    verdict,
)
from amlguard.scanner.model import Finding, ScanResult, Severity, Status

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/amlguard/amlguard"
MAX_TEXT = 1024  # GitHub's limit on short and full descriptions
MAX_TAGS = 20

# GitHub: > 9 critical, 7-8.9 high, 4-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
_RESULT_STATUSES = (Status.FAIL, Status.SUPPRESSED, Status.KNOWN)


def fingerprint(rule_id: str, resource_id: str) -> str:
    """Stable across runs and machines; distinct per rule and resource (case-insensitive)."""
    digest = hashlib.sha256(f"{rule_id.upper()}|{resource_id.lower()}".encode()).hexdigest()
    return digest[:32]


def _cut(text: str) -> str:
    """One line of at most :data:`MAX_TEXT` characters, white space folded."""
    return clip(" ".join(text.split()), MAX_TEXT)


def _help_uri(rule: Any) -> str | None:
    return doc_url(rule)


def _help_markdown(rule: Any) -> str:
    params = rule.defaults()

    def prose(text: str) -> str:
        return markdown(" ".join(generic_text(text, params).split()))

    parts = [f"**{prose(rule.title)}**", "", prose(rule.description)]
    if rule.rationale:
        parts += ["", f"**Why it matters.** {prose(rule.rationale)}"]
    parts += ["", f"**Remediation.** {prose(rule.remediation.summary)}"]
    if rule.remediation.manual:
        parts += ["", *code_block(generic_text(rule.remediation.manual, params).splitlines())]
    for case in rule.remediation.cases:  # the fix where the rule's command would be wrong
        parts += ["", f"**Exception.** {prose(case.summary)}"]
        if case.manual:
            parts += ["", *code_block(generic_text(case.manual, params).splitlines())]
    refs = [(ref, reference_url(ref)) for ref in rule.references]
    refs = [(ref, url) for ref, url in refs if url]
    if refs:
        parts += ["", "**References**", ""]
        parts += [f"- [{markdown(_ref_title(ref))}]({url})" for ref, url in refs]
    return "\n".join(parts)


def _ref_title(ref: dict[str, Any]) -> str:
    if ref.get("azure_policy"):
        return f"Azure Policy {ref.get('title') or ref['azure_policy']}"
    if ref.get("mcsb"):
        return f"Microsoft cloud security benchmark {ref['mcsb']}"
    return str(ref.get("title") or ref.get("url"))


def _help_text(rule: Any) -> str:
    params = rule.defaults()
    parts = [generic_text(rule.description, params)]
    if rule.rationale:
        parts.append(f"Why it matters: {generic_text(rule.rationale, params)}")
    parts.append(f"Remediation: {generic_text(rule.remediation.summary, params)}")
    if rule.remediation.manual:
        parts.append(generic_text(rule.remediation.manual, params))
    for case in rule.remediation.cases:
        parts.append(f"Exception: {generic_text(case.summary, params)}")
        if case.manual:
            parts.append(generic_text(case.manual, params))
    return "\n\n".join(parts)


def descriptor(rule: Any) -> dict[str, Any]:
    """One rule as GitHub wants it (id, texts, help, tags, security-severity)."""
    level = LEVEL[rule.severity]
    out: dict[str, Any] = {
        "id": rule.id,
        "name": terminal(rule.name)[:255],
        # a custom rule's texts are data we did not write: controls made visible (redteam10b #8)
        "shortDescription": {"text": _cut(terminal(generic_text(rule.title)))},
        "fullDescription": {"text": _cut(terminal(generic_text(rule.description)))},
        "help": {
            "text": terminal(_help_text(rule), keep_newlines=True),
            "markdown": _help_markdown(rule),
        },
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": ["security", *(t for t in rule.tags if t != "security")][:MAX_TAGS],
            "precision": "very-high",
            "problem.severity": PROBLEM_SEVERITY[level],
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "severity": rule.severity.label,
        },
    }
    uri = _help_uri(rule)
    if uri:
        out["helpUri"] = uri
    return out


def _plain(text: str) -> str:
    """Plain SARIF message text: controls made visible, and ``[``/``]`` escaped so that data
    such as ``[x](https://evil)`` is never read as an embedded link (SARIF 2.1.0 3.11.6)."""
    return terminal(text, keep_newlines=True).replace("[", "\\[").replace("]", "\\]")


def _message(finding: Finding) -> str:
    text = finding.message.strip()
    if not text.endswith((".", "!", "?")):
        text += "."  # the first sentence is the alert title: end it
    return _plain(f"{text}\n\n{failure_text(finding)}")


def _location(
    finding: Finding, locator: Locator, located: dict[str, Any] | None = None
) -> dict[str, Any]:
    found = locator.locate(finding.resource_id)
    where = (located or {}).get("|".join(finding.key))
    if where:  # a template scan: the line where the judged property is written
        uri, relative = locator.uri_of(str(where["file"]))
        line, column = int(where.get("line") or 1), int(where.get("column") or 1)
        found = Located(uri, relative, Region(line, column + 1, column))
    artifact: dict[str, Any] = {"uri": found.uri}
    if found.relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    return {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {
                "startLine": found.region.line,
                "startColumn": found.region.start_column,
                "endLine": found.region.line,
                "endColumn": max(found.region.end_column, found.region.start_column + 1),
            },
        },
        "logicalLocations": [
            {
                # GitHub shows these as the alert's location: data, so controls made visible
                "name": terminal(short_name(finding.resource_id)),
                "fullyQualifiedName": terminal(finding.resource_id),
                "kind": "resource",
            }
        ],
    }


def _result(
    finding: Finding,
    rule_index: dict[str, int],
    locator: Locator,
    located: dict[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": LEVEL[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [_location(finding, locator, located)],
        "partialFingerprints": {
            "primaryLocationLineHash": fingerprint(finding.rule_id, finding.resource_id)
        },
        "properties": {
            "severity": finding.severity.label,
            "status": finding.status.value,
            "resourceType": terminal(finding.resource_type),
            "instance": terminal(finding.instance),
        },
    }
    if finding.rule_id in rule_index:
        out["ruleIndex"] = rule_index[finding.rule_id]
    # An accepted risk is closed in GitHub; a baseline-known finding stays an open alert (it is
    # still a problem, it just does not fail the gate), marked "unchanged".
    if finding.status is Status.SUPPRESSED:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": terminal(
                    suppression_text(finding.suppression, cite_source=True, reason_required=True)
                ),
            }
        ]
    if finding.baseline_state:
        out["baselineState"] = "unchanged" if finding.baseline_state == "known" else "new"
    return out


def _notifications(result: ScanResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for gap in result.source.gaps:
        out.append({"level": "error", "message": {"text": _plain(f"Scan gap: {gap_text(gap)}")}})
    for f in result.findings:
        if f.status is Status.ERROR:
            out.append(
                {
                    "level": "error",
                    "message": {
                        "text": _plain(f"{f.rule_id} could not judge {f.resource_id}: {f.message}")
                    },
                    "associatedRule": {"id": f.rule_id},
                }
            )
    out += [{"level": "warning", "message": {"text": _plain(w)}} for w in result.warnings]
    return out


@register
class SarifReport(Report):
    """For GitHub code scanning (upload-sarif) and other SARIF viewers."""

    name = "sarif"
    suffix = ".sarif"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        """Indented, except one result per line (the indenting encoder is pure Python: slow)."""
        doc = self.document(result, options)
        run = doc["runs"][0]
        results = run.pop("results")
        marker = "\u0000results\u0000"
        run["results"] = marker
        text = json.dumps(doc, indent=2, ensure_ascii=False)
        encode = json.JSONEncoder(ensure_ascii=False).encode
        body = (
            "[\n" + ",\n".join("        " + encode(r) for r in results) + "\n      ]"
            if results
            else "[]"
        )
        return text.replace(json.dumps(marker), body, 1) + "\n"

    def document(self, result: ScanResult, options: ReportOptions) -> dict[str, Any]:
        """The SARIF log as a Python object."""
        rules = list(result.rules)
        rule_index = {r.id: i for i, r in enumerate(rules)}
        root = options.extra.get("root")
        shown = sorted(
            (f for f in result.findings if f.status in _RESULT_STATUSES),
            key=lambda f: (f.rule_id, f.instance.lower(), f.resource_id.lower()),
        )
        locator = Locator(
            options.extra.get("artifacts") or [],
            Path(root) if root else repository_root(),
            wanted=[f.resource_id for f in shown],
        )
        errors = any(f.status is Status.ERROR for f in result.findings)
        properties: dict[str, Any] = {
            "verdict": verdict(result, options.fail_on),
            "rulePack": {"version": result.pack_version, "hash": result.pack_hash},
            "source": {"kind": result.source.kind, "description": result.source.description},
        }
        if result.baseline is not None:
            properties["baseline"] = result.baseline
        return {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "amlguard",
                            "version": __version__,
                            "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI,
                            "rules": [descriptor(r) for r in rules],
                        }
                    },
                    "invocations": [
                        {
                            "executionSuccessful": result.source.complete and not errors,
                            "startTimeUtc": result.scan_time,
                            "toolExecutionNotifications": _notifications(result),
                        }
                    ],
                    "results": [
                        _result(f, rule_index, locator, options.extra.get("locations"))
                        for f in shown
                    ],
                    "properties": properties,
                }
            ],
        }
