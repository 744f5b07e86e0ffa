"""Where a resource of a compiled Bicep file is written in the Bicep source.

The Bicep CLI's JSON keeps symbolic names (languageVersion 2.0) and nested deployments named
after module symbols; this reads the ``.bicep`` text (no parser needed for this much) to find
``resource <symbol> '<type>@...'`` and ``module <symbol> '<path>'`` declarations, and a
property's ``name:`` line inside the declaration's braces. Without a symbol (languageVersion 1
output) the n-th declaration of the same type is taken.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from amlguard.iac.jsonpos import Location

_RESOURCE = re.compile(r"^[ \t]*resource[ \t]+(\w+)[ \t]+'([^'@]+)@[^']*'", re.M)
_MODULE = re.compile(r"^[ \t]*module[ \t]+(\w+)[ \t]+'([^']+)'", re.M)


class BicepFile:
    """The declarations of one ``.bicep`` file and their lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        from amlguard import inputfile
        from amlguard.errors import InputError

        try:
            self.text = inputfile.read_text(path, "Bicep file")
        except InputError:
            self.text = ""  # locations only: the file itself was read (or refused) elsewhere
        self.lines = self.text.split("\n")
        self.symbols: dict[str, int] = {}
        self.by_type: dict[str, list[int]] = {}
        self.modules: dict[str, str] = {}
        for m in _RESOURCE.finditer(self.text):
            line = self.text.count("\n", 0, m.start()) + 1
            self.symbols[m.group(1).lower()] = line
            self.by_type.setdefault(m.group(2).lower(), []).append(line)
        for m in _MODULE.finditer(self.text):
            self.symbols[m.group(1).lower()] = self.text.count("\n", 0, m.start()) + 1
            self.modules[m.group(1).lower()] = m.group(2)

    def declaration(self, symbol: str | None, rtype: str, nth: int) -> int | None:
        """The line of a resource declaration: by symbol, else the n-th of its type."""
        if symbol:
            base = symbol.split("::")[-1].lower()
            if base in self.symbols:
                return self.symbols[base]
        lines = self.by_type.get(rtype.lower(), [])
        return lines[nth] if 0 <= nth < len(lines) else None

    def property(self, start: int, keys: tuple[str | int, ...]) -> int:
        """The line where ``keys`` (a property path) is written inside the block at ``start``."""
        depth = 0
        line_no = start
        wanted = [k for k in keys if isinstance(k, str)]
        for i in range(start - 1, len(self.lines)):
            text = self.lines[i]
            if wanted and re.match(rf"^\s*'?{re.escape(wanted[0])}'?\s*:", text):
                line_no = i + 1
                wanted.pop(0)
            depth += text.count("{") + text.count("[") - text.count("}") - text.count("]")
            if depth <= 0 and i >= start:
                break
        return line_no

    def module_file(self, symbol: str | None) -> BicepFile | None:
        """The Bicep file a local module symbol calls (registry modules: None)."""
        rel = self.modules.get((symbol or "").lower())
        if not rel or ":" in rel:
            return None
        return load(self.path.parent / rel)

    def location(self, line: int) -> Location:
        """A location at the first non-blank column of a line."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Location(str(self.path), line, len(text) - len(text.lstrip()) + 1)


@lru_cache(maxsize=256)
def load(path: Path) -> BicepFile:
    """A Bicep file's declarations, read once per process."""
    return BicepFile(path)
