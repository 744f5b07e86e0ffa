"""Baselines: record today's failing findings, then gate only on new ones.

A baseline file is JSON: a header (format version, when, which rule pack) and one entry per
failing finding, identified like :attr:`Finding.key` (rule id, resource id and instance, compared
case-insensitively). ``check --baseline`` turns a failure that is in the file into ``known`` (it does not fail the
gate; its suppression record names the baseline file), marks the others
``new``, and lists the entries that no longer fail as resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.scanner.model import Finding, ScanResult, Status

FORMAT_KEY = "amlguard_baseline"
FORMAT_VERSION = 1
_ENTRY_KEYS = ("rule_id", "resource_id", "instance")

Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Baseline:
    """The findings a baseline file accepted, by key, and where it came from."""

    path: str
    created: str
    entries: dict[Key, dict[str, Any]]


def _key(entry: dict[str, Any]) -> Key:
    return (str(entry["rule_id"]).upper(), entry["resource_id"].lower(), entry["instance"].lower())


def document(result: ScanResult) -> dict[str, Any]:
    """The baseline of a scan: every ``fail`` finding (suppressed ones are already accepted)."""
    entries = [
        {
            "rule_id": f.rule_id,
            "resource_id": f.resource_id,
            "instance": f.instance,
            "severity": f.severity.label,
            "rule_name": f.rule_name,
            "message": f.message,
        }
        for f in result.findings
        if f.status is Status.FAIL
    ]
    entries.sort(key=lambda e: (e["rule_id"], e["instance"].lower(), e["resource_id"].lower()))
    return {
        FORMAT_KEY: FORMAT_VERSION,
        "created": result.scan_time,
        "rule_pack": {"version": result.pack_version, "hash": result.pack_hash},
        "source": result.source.description,
        "findings": entries,
    }


def write(path: Path, result: ScanResult) -> int:
    """Write the baseline of ``result`` to ``path``; returns how many findings it holds."""
    doc = document(result)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write baseline: {exc.strerror}") from None
    return len(doc["findings"])


def load(path: Path) -> Baseline:
    """Read a baseline file; anything malformed is an InputError naming the file and entry."""
    from amlguard import inputfile, jsonstrict

    data = inputfile.read_bytes(path, "baseline file")
    text = inputfile.decode(data, path, "baseline")  # UTF-8 with or without a BOM, or UTF-16
    try:
        doc = jsonstrict.loads(text)
    except (json.JSONDecodeError, jsonstrict.StrictJSONError) as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(doc, dict) or doc.get(FORMAT_KEY) != FORMAT_VERSION:
        raise InputError(
            f"{path}: not an amlguard baseline (expected '{FORMAT_KEY}': {FORMAT_VERSION}; "
            "create one with 'amlguard baseline create -o FILE')"
        )
    raw = doc.get("findings")
    if not isinstance(raw, list):
        raise InputError(f"{path}: 'findings' must be an array")
    entries: dict[Key, dict[str, Any]] = {}
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) and entry[k] for k in _ENTRY_KEYS
        ):
            raise InputError(f"{path}: findings[{i}] needs string fields {', '.join(_ENTRY_KEYS)}")
        entries[_key(entry)] = entry
    return Baseline(str(path), str(doc.get("created", "")), entries)


def apply_baseline(result: ScanResult, baseline: Baseline) -> None:
    """Mark known failures, tag new ones, and record what was resolved (in place)."""
    ran_rules = {getattr(r, "id", "").upper() for r in result.rules}
    scanned = {inst.id.lower() for inst in result.instances}
    # A finding that is failing underneath (even if suppressed, or not judged) is not resolved.
    still_there = {
        f.key
        for f in result.findings
        if f.status in (Status.FAIL, Status.ERROR) or _suppressed_failure(f)
    }
    reason = f"known finding: recorded in baseline {baseline.path}"
    if baseline.created:
        reason += f" on {baseline.created}"
    findings: list[Finding] = []
    new = known = 0
    for f in result.findings:
        if f.status is Status.FAIL:
            if f.key in baseline.entries:
                known += 1
                f = replace(
                    f,
                    status=Status.KNOWN,
                    baseline_state="known",
                    suppression={"kind": "baseline", "reason": reason, "source": baseline.path},
                )
            else:
                new += 1
                f = replace(f, baseline_state="new")
        findings.append(f)
    result.findings = findings
    # Entries for rules or instances this scan did not look at are neither known nor resolved.
    resolved = [
        entry
        for key, entry in baseline.entries.items()
        if key not in still_there and key[0] in ran_rules and key[2] in scanned
    ]
    resolved.sort(key=lambda e: (e["rule_id"], e["instance"].lower(), e["resource_id"].lower()))
    result.baseline = {
        "file": baseline.path,
        "created": baseline.created,
        "new": new,
        "known": known,
        "resolved": resolved,
    }


def _suppressed_failure(finding: Finding) -> bool:
    return finding.status is Status.KNOWN or (
        finding.status is Status.SUPPRESSED and finding.suppression is not None
    )
