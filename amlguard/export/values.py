"""Values as an export sends them: neutralised and cut to the service's per-field limit.

Values come from estates we did not write, so every string is neutralised (control and
bidirectional-override characters and lone surrogates replaced) and any value longer than the
service's per-field limit is cut, ending with :data:`TRUNCATED` so a reader knows.
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring
from typing import Any

#: The per-field limit: 64 KB per value (Azure Monitor custom logs limits); kept under in
#: UTF-8 bytes of the value's text.
FIELD_LIMIT = 64_000
TRUNCATED = "\u2026[truncated by amlguard]"

#: Control and bidirectional-override characters, and lone surrogates (a live answer's
#: ``"\ud800"`` is text no UTF-8 body can carry); tab and line breaks stay.
UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    + "\ud800-\udfff]"
)


def truncate(text: str, limit: int = FIELD_LIMIT) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, ending with :data:`TRUNCATED` when cut."""
    if len(text) * 4 <= limit:
        return text
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    keep = limit - len(TRUNCATED.encode("utf-8"))
    return data[:keep].decode("utf-8", "ignore") + TRUNCATED


class Clean(dict[str, str]):
    """Neutralised, length-limited text of each distinct string, computed on first use."""

    def __missing__(self, text: str) -> str:
        # ASCII without controls (ids, names, multi-line fix texts: most strings) has nothing
        # to replace: skip the regex, 3x slower on a fix text than deleting bytes from a copy.
        safe = text if text.isascii() and _plain_ascii(text) else UNSAFE.sub("\ufffd", text)
        clean = self[text] = safe if len(safe) * 4 <= FIELD_LIMIT else truncate(safe)
        return clean


class JsonTexts(dict[str, str]):
    """The JSON text of each distinct string (neutralised first by ``clean`` when given),
    computed on first use: one dict lookup per column of a row after that."""

    def __init__(self, clean: Clean | None) -> None:
        super().__init__()
        self.clean = clean

    def __missing__(self, text: str) -> str:
        json_text = self[text] = encode_basestring(text if self.clean is None else self.clean[text])
        return json_text


#: The ASCII characters :data:`UNSAFE` replaces (controls but tab and line breaks, DEL).
_ASCIIUNSAFE = bytes(c for c in range(128) if UNSAFE.match(chr(c)))


def _plain_ascii(text: str) -> bool:
    """Whether ASCII ``text`` holds none of :data:`_ASCIIUNSAFE`."""
    if text.isprintable():
        return True
    data = text.encode("ascii")
    return len(data.translate(None, _ASCIIUNSAFE)) == len(data)


def dynamic(value: Any, clean: Clean) -> Any:
    """A dynamic column's value: strings neutralised; too long as JSON -> truncated JSON text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return clean[value]
    value = _scrub(value, clean)
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) * 4 <= FIELD_LIMIT or len(text.encode("utf-8")) <= FIELD_LIMIT:
        return value
    return truncate(text)


def _scrub(value: Any, clean: Clean) -> Any:
    if isinstance(value, str):
        return UNSAFE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(str(k), clean): _scrub(v, clean) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, clean) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return UNSAFE.sub("\ufffd", str(value))
