"""JSON documents with the line and column of every property and array item.

``json.loads`` builds the values (fast, in C); a second pass over the text with one regular
expression finds where each value is written, keyed by its path (``("resources", 3,
"properties", "publicNetworkAccess")``). The position of an object property is the position of
its key, so a finding points at the line that writes the property.

Comments (``//`` to the end of the line, ``/* ... */``) are read as ARM and the Azure CLI read
them: as whitespace. They are blanked out character for character, so every line and column
stays where the file has it.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlguard.errors import InputError

Path_ = tuple[str | int, ...]

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]', re.S)
# A string (kept), or a comment outside strings (blanked).
_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/', re.S)


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file: 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape reports use: ``{file, line, column}``."""
        return {"file": self.file, "line": self.line, "column": self.column}


@dataclass(slots=True)
class JsonDoc:
    """A parsed document, its file name, and the offset where each path's value is written."""

    value: Any
    file: str
    text: str
    offsets: dict[Path_, int] = field(default_factory=dict)
    _lines: list[int] = field(default_factory=list)
    source: str = ""  # the .bicep file this JSON was compiled from, if any
    best_effort: bool = False  # lowered by the built-in Bicep reader (amlguard.iac.bicepread)

    def location(self, path: Path_) -> Location:
        """Where ``path`` is written; the nearest written ancestor when it is not."""
        while path and path not in self.offsets:
            path = path[:-1]
        return self.location_of(self.offsets.get(path, 0))

    def location_of(self, offset: int) -> Location:
        """The line and column of a character offset."""
        if not self._lines:
            self._lines = [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._lines, offset)
        start = self._lines[line - 1] if line else 0
        return Location(self.file, line + 1, offset - start + 1)


def read_json(path: Path) -> JsonDoc:
    """Read and parse one JSON file; InputError naming the file and position when it is bad."""
    from amlguard import inputfile

    # The one bounded reader: a FIFO or device is refused at once, never read (no hang).
    return parse_json(inputfile.read_text(path, "JSON file"), str(path))


def without_comments(text: str) -> str:
    """``text`` with every comment outside strings turned into spaces (newlines kept), so
    positions in the result are positions in ``text``."""
    if "/" not in text:
        return text

    def blank(m: re.Match[str]) -> str:
        tok = m.group()
        return tok if tok[0] == '"' else re.sub(r"[^\n]", " ", tok)

    return _COMMENT.sub(blank, text)


def parse_json(text: str, name: str) -> JsonDoc:
    """Parse JSON text (comments allowed, as ARM allows them) and index where every property
    and item is written."""
    plain = text
    try:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            plain = without_comments(text)
            if plain == text:
                raise
            value = json.loads(plain)  # the error, if any, is at the same line and column
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{name}: JSON nested too deeply") from None
    doc = JsonDoc(value, name, text)
    doc.offsets = _index(plain)
    return doc


def _index(text: str) -> dict[Path_, int]:
    """Path -> offset for every object property (its key) and every array item."""
    offsets: dict[Path_, int] = {(): 0}
    # frames: [path, is_object, key or index, expecting_key]
    stack: list[list[Any]] = []
    pending: Path_ | None = ()  # the path of the next value, when it has not been placed yet
    for m in _TOKEN.finditer(text):
        tok = m.group()
        ch = tok[0]
        if ch == '"' and stack and stack[-1][1] and stack[-1][3]:
            frame = stack[-1]
            try:
                frame[2] = json.loads(tok)
            except json.JSONDecodeError:
                frame[2] = tok[1:-1]
            frame[3] = False
            key_path = (*frame[0], frame[2])
            offsets[key_path] = m.start()
            pending = None
            continue
        if ch == ":":
            pending = (*stack[-1][0], stack[-1][2])
            continue
        if ch == ",":
            frame = stack[-1]
            if frame[1]:
                frame[3] = True
            else:
                frame[2] += 1
                pending = (*frame[0], frame[2])
                offsets.setdefault(pending, m.end())
            continue
        if ch in "}]":
            stack.pop()
            pending = None
            continue
        # a value starts: a string value or an opening bracket
        if pending is not None and stack and not stack[-1][1]:
            offsets[pending] = m.start()
        if ch in "{[":
            path = pending if pending is not None else ()
            if ch == "{":
                stack.append([path, True, None, True])
                pending = None
            else:
                stack.append([path, False, 0, False])
                pending = (*path, 0)
                offsets[pending] = m.end()
        else:
            pending = None
    return offsets
