"""Baselines: record today's failing findings, then gate only on new ones.

A baseline file is JSON: a header (format version, when, which rule pack) and one entry per
failing finding, identified like :attr:`Finding.key` (rule id, resource id and instance, compared
case-insensitively), with the identities of the offenders it named (:mod:`amlguard.offenders`).
``check --baseline`` turns a failure that is in the file into ``known`` (it does not fail the
gate; its suppression record names the baseline file) unless it now names an offender the entry
does not record: an aggregate finding (one per workspace or vault) that grew is new drift, so it
is ``new`` and its message names the new offenders. Fewer offenders than recorded stay known.
Other failures are ``new``; entries that no longer fail are listed as resolved.

An entry without an ``offenders`` field (a file written before they were recorded) covers its
finding whatever it names, as it did then; the ``baseline`` block counts the known findings such
entries cover under ``unverified`` and the check warns, so re-creating the baseline is a visible
step. ``grown`` lists the entries whose finding named new offenders (both only when non-empty).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from amlguard import offenders as offender_ids
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
    entries: list[dict[str, Any]] = [
        {
            "rule_id": f.rule_id,
            "resource_id": f.resource_id,
            "instance": f.instance,
            "severity": f.severity.label,
            "rule_name": f.rule_name,
            "message": f.message,
            "offenders": offender_ids.identities(f.offenders),
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
    from amlguard.outputfile import write_output

    write_output(path, json.dumps(doc, indent=2) + "\n", "baseline")
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
        if "offenders" in entry and not isinstance(entry["offenders"], list):
            raise InputError(f"{path}: findings[{i}].offenders must be an array")
        key = _key(entry)
        if key in entries:  # the same finding twice: it covers what either entry records
            entry = _merge(entries[key], entry)
        entries[key] = entry
    return Baseline(str(path), str(doc.get("created", "")), entries)


def _merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    merged = {**first, **second}
    if "offenders" in first and "offenders" in second:
        merged["offenders"] = [*first["offenders"], *second["offenders"]]
    else:
        merged.pop("offenders", None)  # either one covers the finding whatever it names
    return merged


def apply_baseline(result: ScanResult, baseline: Baseline) -> None:
    """Mark known failures, tag new ones (and grown ones), and record what was resolved."""
    ran_rules = {getattr(r, "id", "").upper() for r in result.rules}
    scanned = {inst.id.lower() for inst in result.instances}
    # A finding that is failing underneath (even if suppressed, or not judged) is not resolved.
    still_there = {
        _finding_key(f)
        for f in result.findings
        if f.status in (Status.FAIL, Status.ERROR) or _suppressed_failure(f)
    }
    reason = f"known finding: recorded in baseline {baseline.path}"
    if baseline.created:
        reason += f" on {baseline.created}"
    findings: list[Finding] = []
    grown: list[dict[str, Any]] = []
    new = known = unverified = 0
    for f in result.findings:
        if f.status is Status.FAIL:
            entry = baseline.entries.get(_finding_key(f))
            added = _new_offenders(f, entry)
            if entry is not None and not added:
                known += 1
                unverified += "offenders" not in entry
                f = replace(
                    f,
                    status=Status.KNOWN,
                    baseline_state="known",
                    suppression={"kind": "baseline", "reason": reason, "source": baseline.path},
                )
            else:
                new += 1
                if added:
                    names = ", ".join(offender_ids.label(o) for o in added)
                    message = f"{f.message} New since the baseline: {names}."
                    grown.append({**_entry_view(entry or {}), "new_offenders": added})
                    f = replace(f, message=message)
                f = replace(f, baseline_state="new")
        findings.append(f)
    result.findings = findings
    # Entries for rules or instances this scan did not look at are neither known nor resolved.
    resolved = [
        _entry_view(entry)
        for key, entry in baseline.entries.items()
        if key not in still_there and key[0] in ran_rules and key[2] in scanned
    ]
    resolved.sort(key=lambda e: (e["rule_id"], e["instance"].lower(), e["resource_id"].lower()))
    if unverified:
        result.warnings.append(
            f"baseline {baseline.path}: {unverified} known finding(s) matched entries that "
            "predate offender recording, so they cover whatever those findings name (a new NIC, "
            "connection or resource inside them stays hidden); re-create the baseline with "
            "'amlguard baseline create'"
        )
    result.baseline = {
        "file": baseline.path,
        "created": baseline.created,
        "new": new,
        "known": known,
        "resolved": resolved,
        # Only when there is something to say, so an ordinary comparison reads as before.
        **({"grown": grown} if grown else {}),
        **({"unverified": unverified} if unverified else {}),
    }


def _finding_key(finding: Finding) -> Key:
    return (finding.rule_id.upper(), finding.resource_id.lower(), finding.instance.lower())


def _new_offenders(finding: Finding, entry: dict[str, Any] | None) -> list[Any]:
    """The offenders of a failing ``finding`` its baseline entry does not record."""
    if entry is None or "offenders" not in entry:
        return []  # not in the baseline (new anyway), or an entry from before offenders
    return offender_ids.unrecorded(finding.offenders, entry["offenders"])


_VIEW_KEYS = ("rule_id", "resource_id", "instance", "severity", "rule_name", "message")


def _entry_view(entry: dict[str, Any]) -> dict[str, Any]:
    """The fields of a baseline entry a report shows (the file may hold anything else)."""
    out: dict[str, Any] = {k: entry[k] for k in _VIEW_KEYS if isinstance(entry.get(k), str)}
    if isinstance(entry.get("offenders"), list):
        out["offenders"] = entry["offenders"]
    return out


def _suppressed_failure(finding: Finding) -> bool:
    return finding.status is Status.KNOWN or (
        finding.status is Status.SUPPRESSED and finding.suppression is not None
    )
