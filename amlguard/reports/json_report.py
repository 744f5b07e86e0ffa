"""The JSON report: a documented, stable document (``policies/schemas/findings.schema.json``)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from amlguard import __version__
from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.scanner.model import ScanResult, Severity, Status

SCHEMA_VERSION = "1.0"

# What json.dumps(obj, default=str, ensure_ascii=False) builds on every call; one per finding
# made building encoders a tenth of the report's time.
_FINDING_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)


def summary(result: ScanResult) -> dict[str, Any]:
    """Counts by status, and by severity then status."""
    by_status = {s.value: 0 for s in Status}
    by_severity: dict[str, dict[str, int]] = {
        sev.label: {s.value: 0 for s in Status} for sev in sorted(Severity, reverse=True)
    }
    # Count enum members, name them once: .value/.label per finding cost more than the count.
    pairs = Counter((f.severity, f.status) for f in result.findings)
    for (severity, status), n in pairs.items():
        by_status[status.value] += n
        by_severity[severity.label][status.value] += n
    return {
        "instances": len(result.instances),
        "findings": len(result.findings),
        "by_status": by_status,
        "by_severity": by_severity,
    }


def instance_counts(result: ScanResult) -> list[dict[str, Any]]:
    """One entry per instance: id, name and counts by status."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {s.value: 0 for s in Status})
    for (instance, status), n in Counter((f.instance, f.status) for f in result.findings).items():
        counts[instance][status.value] += n
    return [
        {"id": inst.id, "name": inst.name, "counts": counts[inst.id]} for inst in result.instances
    ]


def document(result: ScanResult) -> dict[str, Any]:
    """The JSON document as a Python object (other formats and tests reuse it)."""
    src = result.source
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
        "summary": summary(result),
        "warnings": list(result.warnings),
        **({"baseline": result.baseline} if result.baseline is not None else {}),
        "instances": instance_counts(result),
        "findings": [f.to_dict() for f in result.findings],
    }


@register
class JsonReport(Report):
    """Machine-readable findings for pipelines and other tools."""

    name = "json"
    suffix = ".json"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        # Indented head, one compact finding per line: readable and diff-friendly, and fast
        # (an indented dump runs the pure-Python encoder, 5x slower on a tenant's findings).
        doc = document(result)
        findings = doc.pop("findings")
        head = json.dumps(doc, indent=2, default=str)
        if not findings:
            return head[:-2] + ',\n  "findings": []\n}\n'
        # One join into the final text: concatenating pieces copied the whole report 3 times.
        parts = [head[:-2], ',\n  "findings": [\n    ']
        for f in findings:
            parts.append(_FINDING_ENCODER.encode(f))
            parts.append(",\n    ")
        parts[-1] = "\n  ]\n}\n"
        return "".join(parts)
