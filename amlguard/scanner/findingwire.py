"""Findings as bytes and back, for a worker process's answer (:mod:`amlguard.scanner.parallel`).

One message: a header (magic, codec, number of findings, body length, CRC-32 of the body) and
the body. The body is marshal of one tuple per field (enums as numbers; a text many findings
share is one object, which marshal writes once and reads back as one): ~4 times cheaper to
write and read than pickle at 17,000 findings (BENCHMARKS.md, "Session 7 — par7"), and read
back column by column, each slot set by its descriptor, without a Python call per finding
("Session 8 — par8"). marshal refuses anything but exact built-in types, so a finding holding
anything else (an enum member, a subclass, an object) sends the whole message as pickle
instead. Whatever does not decode to exactly the findings the header counts is ``None``.
"""

from __future__ import annotations

import collections
import itertools
import marshal
import struct
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from amlguard.scanner.model import Finding, Severity, Status

_MAGIC = b"AMLP"
_HEADER = struct.Struct("<4sBQQI")  # magic, codec, findings, body length, CRC-32 of the body
_MARSHAL, _PICKLE = 0, 1
_STATUSES = tuple(Status)
_STATUS_INDEX = {s: i for i, s in enumerate(_STATUSES)}
_SEVERITIES = {int(s): s for s in Severity}
#: each field's slot setter, in field order (the columns' order)
_FIELDS = tuple(f.name for f in fields(Finding))
_SETTERS = tuple(getattr(Finding, name).__set__ for name in _FIELDS)


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
    """marshal of one tuple per field (enums as numbers): repeated texts are the same objects,
    which marshal writes once; anything not exactly a Finding raises (pickle then)."""
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    statuses = _STATUS_INDEX
    for f in findings:
        sev = f.severity
        st = f.status
        if type(f) is not Finding or type(sev) is not Severity or type(st) is not Status:
            raise TypeError("not a plain Finding")
        append(
            (
                f.rule_id,
                f.rule_name,
                int(sev),
                statuses[st],
                f.resource_id,
                f.resource_type,
                f.instance,
                f.message,
                f.expected,
                f.actual,
                f.path,
                f.remediation,
                f.offenders,
                f.suppression,
                f.baseline_state,
                f.fixed_by,
            )
        )
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_SETTERS)
    return marshal.dumps(columns)


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
    """The findings of :func:`_marshalled`'s columns, built field by field: each slot set by
    its descriptor, as ``Finding.__init__`` does, without a Python call per finding."""
    columns = marshal.loads(body)
    if type(columns) is not list or len(columns) != len(_SETTERS):
        raise ValueError("not the findings' columns")
    count = len(columns[0])
    if any(type(c) is not tuple or len(c) != count for c in columns):
        raise ValueError("columns of different lengths")
    columns[2] = list(map(_SEVERITIES.__getitem__, columns[2]))
    columns[3] = list(map(_STATUSES.__getitem__, columns[3]))
    out = list(map(object.__new__, itertools.repeat(Finding, count)))
    for setter, column in zip(_SETTERS, columns, strict=True):
        collections.deque(map(setter, out, column), maxlen=0)
    return out
