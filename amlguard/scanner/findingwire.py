"""Findings as bytes and back, for a worker process's answer (:mod:`amlguard.scanner.parallel`).

One message: a header (magic, codec, number of findings, body length, CRC-32 of the body) and
the body. The body is marshal of compact tuples (rule and remediation texts once each, enums
as numbers): ~4 times cheaper to write and read than pickle at 17,000 findings (BENCHMARKS.md,
"Session 7 — par7"). marshal refuses anything but exact built-in types, so a finding holding
anything else (an enum member, a subclass, an object) sends the whole message as pickle
instead. Whatever does not decode to exactly the findings the header counts is ``None``.
"""

from __future__ import annotations

import marshal
import struct
from collections.abc import Sequence

from amlguard.scanner.model import Finding, Severity, Status

_MAGIC = b"AMLP"
_HEADER = struct.Struct("<4sBQQI")  # magic, codec, findings, body length, CRC-32 of the body
_MARSHAL, _PICKLE = 0, 1
_STATUSES = tuple(Status)
_STATUS_INDEX = {s: i for i, s in enumerate(_STATUSES)}
_SEVERITIES = {int(s): s for s in Severity}


def encode(findings: Sequence[Finding]) -> bytes:
    """The findings as one checksummed message: marshal of compact tuples, else pickle."""
    import zlib

    body: bytes
    try:
        body, codec = _marshalled(findings), _MARSHAL
    except (ValueError, TypeError, KeyError):  # a value marshal cannot carry exactly
        import pickle

        body, codec = pickle.dumps(list(findings), protocol=5), _PICKLE
    return _HEADER.pack(_MAGIC, codec, len(findings), len(body), zlib.crc32(body)) + body


def _marshalled(findings: Sequence[Finding]) -> bytes:
    rules: dict[tuple[str, str], int] = {}
    texts: dict[str, int] = {}
    rows = []
    for f in findings:
        if type(f) is not Finding or type(f.severity) is not Severity:
            raise TypeError("not a plain Finding")
        key = (f.rule_id, f.rule_name)
        r = rules.get(key)
        if r is None:
            r = rules[key] = len(rules)
        rem = f.remediation
        t = texts.get(rem)
        if t is None:
            t = texts[rem] = len(texts)
        rows.append(
            (
                r,
                int(f.severity),
                _STATUS_INDEX[f.status],
                f.resource_id,
                f.resource_type,
                f.instance,
                f.message,
                f.expected,
                f.actual,
                f.path,
                t,
                f.offenders,
                f.suppression,
                f.baseline_state,
                f.fixed_by,
            )
        )
    return marshal.dumps((list(rules), list(texts), rows))


def decode(data: bytes) -> list[Finding] | None:
    """The findings :func:`encode` wrote, or None for anything short, corrupt or miscounted."""
    import zlib

    if len(data) < _HEADER.size:
        return None
    magic, codec, count, length, crc = _HEADER.unpack_from(data)
    body = memoryview(data)[_HEADER.size :]
    if magic != _MAGIC or len(body) != length or zlib.crc32(body) != crc:
        return None
    try:
        if codec == _MARSHAL:
            found = _unmarshalled(body)
        elif codec == _PICKLE:
            import pickle

            found = pickle.loads(body)  # our own worker's bytes, checksummed
        else:
            return None
    except Exception:  # garbage is a failed worker: its share is judged again here
        return None
    if not isinstance(found, list) or len(found) != count:
        return None
    if not all(type(f) is Finding for f in found):
        return None
    return found


def _unmarshalled(body: memoryview) -> list[Finding]:
    rules, texts, rows = marshal.loads(body)
    severities = _SEVERITIES
    statuses = _STATUSES
    out: list[Finding] = []
    append = out.append
    for r, sev, st, rid, rtype, inst, msg, exp, act, path, t, off, sup, base, fixed in rows:
        rule_id, rule_name = rules[r]
        append(
            Finding(
                rule_id,
                rule_name,
                severities[sev],
                statuses[st],
                rid,
                rtype,
                inst,
                msg,
                exp,
                act,
                path,
                texts[t],
                off,
                sup,
                base,
                fixed,
            )
        )
    return out
