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
  each re-dumped piece refuses more than 254 levels and sits at most 2 levels deep, and the
  caller's stack must have room for ~300 more than those 256.

The re-dump is made a piece at a time (:func:`_pieces`: the members of the outer objects, the
items of their long arrays a slice at a time) and compared where it stands in the text: the same
bytes as one dump, without the 40 MB buffer whose fresh pages cost a fault each (~3 us on a VM).

Any exception from orjson, or orjson missing, is a doubt too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - a product dependency; the strict path still works
    orjson = None  # type: ignore[assignment]

#: What :func:`loads` returns when the strict reader must decide.
DOUBT: Any = object()

#: Frames of headroom below the recursion limit the standard parser must have for 256 levels.
_STACK_ROOM = 302
#: Containers nested this deep or less are re-dumped a member or a slice at a time.
_SPLIT_LEVELS = 2
#: Items of a long array re-dumped at once (a few hundred KB of an estate's rows).
_SLICE = 512


def _stack_room() -> bool:
    """True when the standard parser could nest 256 levels from here without a RecursionError."""
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return sys.getrecursionlimit() - depth >= _STACK_ROOM


def _pieces(value: Any, level: int = 0) -> Iterator[tuple[bytes, int, int]]:
    """``(buffer, start, end)`` slices whose bytes, in order, are ``orjson.dumps(value)``.

    Objects at ``level`` < 2 are written member by member, arrays at ``level`` <= 2 longer than
    :data:`_SLICE` a slice at a time (``dumps`` of the slice, without its brackets); the rest
    whole. orjson's documents hold exact dicts, lists and str keys only. A piece nests at
    most 254 levels (``dumps`` refuses more), the whole at most 256.
    """
    dumps = orjson.dumps
    if type(value) is dict and value and level < _SPLIT_LEVELS:
        sep = b"{"
        for key, item in value.items():
            head = sep + dumps(key) + b":"
            yield head, 0, len(head)
            yield from _pieces(item, level + 1)
            sep = b","
        yield b"}", 0, 1
    elif type(value) is list and len(value) > _SLICE and level <= _SPLIT_LEVELS:
        yield b"[", 0, 1
        for start in range(0, len(value), _SLICE):
            if start:
                yield b",", 0, 1
            out = dumps(value[start : start + _SLICE])
            yield out, 1, len(out) - 1
        yield b"]", 0, 1
    else:
        out = dumps(value)
        yield out, 0, len(out)


def _redump_matches(raw: bytes, doc: Any) -> tuple[bool, int, bool]:
    """Whether ``raw`` starts with ``doc``'s compact re-dump; else the re-dump's colon count
    and whether it holds ``e+`` (the bytes already compared are read off ``raw`` itself)."""
    pos = 0
    pieces = _pieces(doc)
    for buf, start, end in pieces:
        if raw.startswith(memoryview(buf)[start:end], pos):
            pos += end - start
            continue
        colons = raw.count(b":", 0, pos) + buf.count(b":", start, end)
        exp = raw.find(b"e+", 0, pos) >= 0 or buf.find(b"e+", start, end) >= 0
        for buf, start, end in pieces:
            colons += buf.count(b":", start, end)
            exp = exp or buf.find(b"e+", start, end) >= 0
        return False, colons, exp
    return True, 0, False


def loads(text: str | bytes) -> Any:
    """orjson's document of ``text`` when it is provably the strict reader's, else DOUBT.

    ``text`` may be the file's bytes: orjson refuses what is not UTF-8 (and a BOM), so a
    document it reads from bytes is the one it reads from their decoded text.
    """
    if orjson is None:
        return DOUBT
    try:
        doc = orjson.loads(text)
        # orjson refused lone surrogates and everything else not UTF-8: this cannot fail
        raw = text if isinstance(text, bytes) else text.encode()
        same, out_colons, exp = _redump_matches(raw, doc)
    except (ValueError, TypeError):  # orjson's decode/encode errors are both of these
        return DOUBT
    if not _stack_room():
        return DOUBT
    if same:
        return doc  # the text is its document's own compact dump: nothing dropped or changed
    # ":" is one byte in UTF-8 (no other character's bytes hold it): bytes count as text does
    colons = raw.count(b":")
    if b"\\" in raw:  # escapes that write a colon (\u003a): strings may gain one each
        colons += raw.count(b"\\u003a") + raw.count(b"\\u003A")
    if exp or out_colons < colons:
        return DOUBT
    return doc
