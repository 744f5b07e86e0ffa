"""One strict JSON reader for data amlguard did not write (snapshots, baselines).

Python's ``json`` accepts what JSON does not, or what amlguard cannot use safely: duplicate
keys (the last silently wins), ``NaN``/``Infinity`` (reports would then not be JSON), numbers
beyond float range (read as infinity), integers of thousands of digits (a ValueError deep in
the parser), and lone UTF-16 surrogates (``"\\ud800"``: text no encoder can write). Each of
these is a :class:`StrictJSONError` with the ``line:column`` of the offending token.

Keys that differ only in case are different keys (rules look a name up exactly first, then
case-insensitively), so only equal keys are duplicates.

The common case costs orjson's parser, a re-dump and two colon counts (:mod:`amlguard.jsonfast`
proves its document is the one the rules below give); any doubt takes the C parser, a counter per
object and one or two scans of the text; only a document that breaks a rule is parsed again,
slowly, to find the position to report.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from amlguard import jsonfast

#: Digits an integer may have (CPython's own int/str conversion limit).
MAX_INT_DIGITS = 4300
#: How deeply arrays and objects may nest.
MAX_DEPTH = 200


class StrictJSONError(ValueError):
    """Text that is not strict JSON: ``msg`` at ``pos`` (``lineno``:``colno``, 1-based)."""

    def __init__(self, msg: str, text: str, pos: int) -> None:
        self.msg = msg
        self.pos = pos
        self.lineno = text.count("\n", 0, pos) + 1
        self.colno = pos - (text.rfind("\n", 0, pos) + 1) + 1
        super().__init__(f"{msg} at {self.lineno}:{self.colno}")


class _Rejected(Exception):
    """The fast parse found something the strict rules refuse; locate it slowly."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Rejected
    return obj


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Rejected
    return value


def _constant(text: str) -> Any:
    raise _Rejected


# An escaped surrogate that is not half of a valid pair (a cheap trigger; the slow parse decides).
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
# A colon right after whitespace: a spaced key's (``"k" :``), or one inside a string.
_SPACED_COLON = re.compile(r":(?<=[ \t\r\n]:)")
_PAIRS_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_float=_float, parse_constant=_constant, strict=True
)


def _no_repeated_key(text: str, kept: int) -> bool:
    """True when the text cannot hold more keys than the ``kept`` ones the objects hold.

    Every key's colon follows its closing quote, or whitespace after it: so the ``":`` pairs
    plus the colons right after whitespace bound the keys written (a string can only add to
    them, never hide a key). One C-level count and one regex pass that stops at colons only;
    a colon inside a string (``https://``, ``12:30``) follows neither, so it costs nothing.
    """
    return text.count('":') + len(_SPACED_COLON.findall(text)) == kept


def loads(text: str, *, fast: bool = True) -> Any:
    """Parse strict JSON; ``json.JSONDecodeError`` for a syntax error, ``StrictJSONError`` for
    what plain ``json`` would accept but amlguard refuses (both carry ``lineno``/``colno``).

    Duplicate keys are found without building every object twice: the C parser builds the
    objects while a hook adds up their sizes; only when fewer keys came out than
    :func:`_no_repeated_key` bounds in the text is the text parsed again, pair by pair.
    """
    doc = jsonfast.loads(text) if fast else jsonfast.DOUBT
    if doc is not jsonfast.DOUBT:
        return doc
    return _loads_checked(text)


def _loads_checked(text: str) -> Any:
    """:func:`loads` without the fast path: the reference the fast path is tested against."""
    kept = [0]

    def count(obj: dict[str, Any]) -> dict[str, Any]:
        kept[0] += len(obj)
        return obj

    decoder = json.JSONDecoder(
        object_hook=count, parse_float=_float, parse_constant=_constant, strict=True
    )
    try:
        doc, end = decoder.raw_decode(text, _skip_ws(text, 0))
        end = _skip_ws(text, end)
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
        if not _no_repeated_key(text, kept[0]):
            _PAIRS_DECODER.decode(text)  # a repeated key, or only a '":' inside a string?
    except (_Rejected, ValueError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise
        _Locator(text).parse()  # raises with a position
        raise StrictJSONError(f"invalid JSON ({type(exc).__name__})", text, 0) from None
    # No backslash, no escape (one C-speed scan, where the two below cost ~4x that).
    if "\\" in text and ("\\ud" in text or "\\uD" in text) and _LONE_SURROGATE.search(text):
        _Locator(text).parse()
    return doc


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_CONSTANTS = {"true": True, "false": False, "null": None}


class _Locator:
    """A slow, position-aware parser that finds the first thing the strict rules refuse."""

    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, msg: str, pos: int) -> StrictJSONError:
        return StrictJSONError(msg, self.text, pos)

    def parse(self) -> None:
        end = self.value(_skip_ws(self.text, 0), 0)
        if _skip_ws(self.text, end) != len(self.text):
            raise json.JSONDecodeError("Extra data", self.text, _skip_ws(self.text, end))

    def value(self, pos: int, depth: int) -> int:
        text = self.text
        if depth > MAX_DEPTH:
            raise self.fail(f"JSON nested too deeply (more than {MAX_DEPTH} levels)", pos)
        ch = text[pos : pos + 1]
        if ch == "{":
            return self.obj(pos, depth)
        if ch == "[":
            return self.array(pos, depth)
        if ch == '"':
            return self.string(pos)[1]
        for word in ("NaN", "Infinity", "-Infinity"):
            if text.startswith(word, pos):
                raise self.fail(f"{word} is not a JSON number", pos)
        m = _NUMBER.match(text, pos)
        if m:
            if m.group(1) is None and m.group(2) is None:
                digits = m.end() - pos - (text[pos] == "-")
                if digits > MAX_INT_DIGITS:
                    raise self.fail(
                        f"an integer of {digits} digits (at most {MAX_INT_DIGITS})", pos
                    )
            elif math.isinf(float(m.group(0))):
                raise self.fail(f"number beyond the range of a double ({m.group(0)[:20]})", pos)
            return m.end()
        for word in _CONSTANTS:
            if text.startswith(word, pos):
                return pos + len(word)
        raise json.JSONDecodeError("Expecting value", text, pos)

    def string(self, pos: int) -> tuple[str, int]:
        value, end = json.decoder.scanstring(self.text, pos + 1, True)  # type: ignore[attr-defined]
        for ch in value:
            if "\ud800" <= ch <= "\udfff":
                raise self.fail(
                    f"a lone UTF-16 surrogate (\\u{ord(ch):04x}) in a string, which is not text",
                    self._escape_pos(pos, end, ch),
                )
        return value, end

    def _escape_pos(self, start: int, end: int, ch: str) -> int:
        found = self.text[start:end].lower().find(f"\\u{ord(ch):04x}")
        return start + found if found >= 0 else start

    def obj(self, pos: int, depth: int) -> int:
        text = self.text
        seen: dict[str, int] = {}
        pos = _skip_ws(text, pos + 1)
        if text[pos : pos + 1] == "}":
            return pos + 1
        while True:
            if text[pos : pos + 1] != '"':
                raise json.JSONDecodeError(
                    "Expecting property name enclosed in double quotes", text, pos
                )
            key, end = self.string(pos)
            if key in seen:
                first_at = StrictJSONError("", text, seen[key])
                raise self.fail(
                    f"duplicate key {_short(key)!r} in one object (first at "
                    f"{first_at.lineno}:{first_at.colno}); which one is meant cannot be told",
                    pos,
                )
            seen[key] = pos
            pos = _skip_ws(text, end)
            if text[pos : pos + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
            pos = _skip_ws(text, self.value(_skip_ws(text, pos + 1), depth + 1))
            if text[pos : pos + 1] == "}":
                return pos + 1
            if text[pos : pos + 1] != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            pos = _skip_ws(text, pos + 1)

    def array(self, pos: int, depth: int) -> int:
        text = self.text
        pos = _skip_ws(text, pos + 1)
        if text[pos : pos + 1] == "]":
            return pos + 1
        while True:
            pos = _skip_ws(text, self.value(pos, depth + 1))
            if text[pos : pos + 1] == "]":
                return pos + 1
            if text[pos : pos + 1] != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            pos = _skip_ws(text, pos + 1)


def _short(key: str) -> str:
    return key if len(key) <= 60 else key[:57] + "..."
