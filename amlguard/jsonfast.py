"""orjson as a fast path of :func:`amlguard.jsonstrict.loads`, taken only where it provably
gives the same document the strict reader gives; anything else answers :data:`DOUBT` and the
strict reader runs as before (and alone words any error, with its line and column).

orjson parses ~2x faster than the standard library's C parser, and is stricter on its own
about NaN/Infinity, numbers beyond a double's range, lone surrogate escapes, control characters,
BOMs and trailing data (it refuses them: the strict reader then refuses them the same way). Where
it is more lenient, or differs, the document is proven clean from the outside, each with C-level
calls over the text and a compact re-dump of the document (``orjson.dumps``).

A text that *is* that re-dump (as amlguard's and ``json.dumps(..., separators=(",", ":"))``'s
ASCII snapshots are, up to trailing whitespace) needs nothing more: it holds exactly the keys
the document kept, and every number as the document holds it. Otherwise:

- repeated keys (orjson keeps the last one silently): a JSON text's colons are one per key
  written plus the colons inside its strings; the re-dump's are one per key *kept* plus the
  colons inside the strings it kept. Strings can only lose colons between the two (the values of
  dropped keys), or gain those an escape ``\\u003a`` wrote, which are counted. So when the
  re-dump holds at least as many colons as the text (plus its ``\\u003a`` escapes), no key was
  dropped. ``":`` hidden in escapes, spaced colons, keys that differ only by escapes: all count
  the same on both sides, none needs parsing;
- integers beyond 64 bits, which orjson reads as floats (the strict reader keeps them exact):
  such a float is at least 2**63 in size, and orjson writes every float of 1e16 or more with an
  exponent ``e+``; a re-dump holding ``e+`` anywhere (a string too) is a doubt;
- nesting: orjson reads 1,024 levels, where the standard parser's limit depends on the stack;
  the re-dump refuses more than 254 levels, and the caller's stack must have room for ~300 more.

Any exception from orjson, or orjson missing, is a doubt too.
"""

from __future__ import annotations

import sys
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - a product dependency; the strict path still works
    orjson = None  # type: ignore[assignment]

#: What :func:`loads` returns when the strict reader must decide.
DOUBT: Any = object()

#: Frames of headroom below the recursion limit the standard parser must have for 254 levels.
_STACK_ROOM = 300


def _stack_room() -> bool:
    """True when the standard parser could nest 254 levels from here without a RecursionError."""
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return sys.getrecursionlimit() - depth >= _STACK_ROOM


def loads(text: str | bytes) -> Any:
    """orjson's document of ``text`` when it is provably the strict reader's, else DOUBT.

    ``text`` may be the file's bytes: orjson refuses what is not UTF-8 (and a BOM), so a
    document it reads from bytes is the one it reads from their decoded text.
    """
    if orjson is None:
        return DOUBT
    try:
        doc = orjson.loads(text)
        out = orjson.dumps(doc)
    except (ValueError, TypeError):  # orjson's decode/encode errors are both of these
        return DOUBT
    if not _stack_room():
        return DOUBT
    if isinstance(text, bytes):
        if text.startswith(out):
            return doc  # the text is its document's own compact dump: nothing dropped or changed
        colons = text.count(b":")
        if b"\\" in text:  # escapes that write a colon (\u003a): strings may gain one each
            colons += text.count(b"\\u003a") + text.count(b"\\u003A")
    else:
        if text.startswith(out.decode()):
            return doc
        colons = text.count(":")
        if "\\" in text:
            colons += text.count("\\u003a") + text.count("\\u003A")
    if b"e+" in out or out.count(b":") < colons:
        return DOUBT
    return doc
