"""The JSON report's head as ``json.dumps(head, indent=2, default=str)`` writes it, faster: the
instances' entries (one per workspace, thousands in a tenant) from a template."""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

from amlguard.scanner.model import Status

# One instance's entry where json.dumps(head, indent=2) puts it; the head is ASCII-escaped.
_STATUSES = tuple(s.value for s in Status)
_INSTANCE = (
    '\n    {{\n      "id": {},\n      "name": {},\n      "counts": {{\n'
    + ",\n".join(f'        "{status}": {{}}' for status in _STATUSES)
    + "\n      }}\n    }}"
)


def head_text(head: dict[str, Any]) -> str:
    """``json.dumps(head, indent=2, default=str)``, the instances written from a template.

    The pure-Python indenting encoder spent ~5 us on each instance's entry; the template ~1 us.
    Entries that are not the plain shape :func:`instance_counts` builds (a hub's, which lists
    its projects) are dumped alone by the generic encoder, indented to their depth: the head is
    ASCII-escaped, so no string holds a line break the re-indenting could touch.
    """
    entries = head["instances"]
    if not isinstance(entries, list) or not entries or next(reversed(head)) != "instances":
        return json.dumps(head, indent=2, default=str)
    rest = json.dumps({k: v for k, v in head.items() if k != "instances"}, indent=2, default=str)
    fmt = _INSTANCE.format
    # Counts are ints the tally made, which format as json writes them.
    body = ",".join(
        fmt(
            encode_basestring_ascii(e["id"]),
            encode_basestring_ascii(e["name"]),
            *e["counts"].values(),
        )
        if _plain_entry(e)
        else "\n    " + json.dumps(e, indent=2, default=str).replace("\n", "\n    ")
        for e in entries
    )
    return f'{rest[:-2]},\n  "instances": [{body}\n  ]\n}}'


def _plain_entry(e: Any) -> bool:
    """Whether an instance entry is exactly the shape ``_INSTANCE`` writes: id, name, counts
    (strings, then the statuses' int counts in order)."""
    if type(e) is not dict or len(e) != 3 or tuple(e) != ("id", "name", "counts"):
        return False
    counts = e["counts"]
    return (
        type(e["id"]) is str
        and type(e["name"]) is str
        and type(counts) is dict
        and tuple(counts) == _STATUSES
        and all(type(n) is int for n in counts.values())
    )
