"""Where a resource appears in a file, so SARIF alerts point at a real line.

Configuration findings have no source line of their own. GitHub code scanning still needs a
file and a region, so we point at the artifact the user names (``--sarif-artifact``, e.g. the
Bicep file that deploys the workspace), else the snapshot the scan read, else the config file,
at the line (and columns) where the resource's id (or, failing that, its quoted name) first
appears.

URIs are always relative to the repository root and carry ``uriBaseId: %SRCROOT%`` (GitHub
resolves them against the checkout): never ``../`` and never ``file:///``. A file outside the
repository (a snapshot in /tmp, say) is named by its file name alone.

Every file is scanned once, in one pass per line, so a snapshot written on a single line (what
``amlguard snapshot`` writes) costs the same as a pretty-printed one.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# An ARM id in lower-cased text (a literal prefix: the regex engine skips ahead to it fast).
_ARM_ID = re.compile(r"/subscriptions/[^\"'\s,<>]+")
# The same in text whose lower-casing changed its length (rare Unicode): case-insensitive.
_ARM_ID_ANY_CASE = re.compile(r"/subscriptions/[^\"'\s,<>]+", re.IGNORECASE)
# A row's own id: the JSON/YAML key "id" and the ARM id it holds (in lower-cased text),
# matched only where str.find (a fast C search) saw the key.
_ROW_ID = re.compile(r"[\"']id[\"'][ \t]{0,20}:[ \t]{0,20}[\"'](/subscriptions/[^\"'\s,<>]+)")
_KEYS = ('"id"', "'id'")
# The spellings json.dump and YAML writers use: found with str.find, no regex per row.
_FAST_KEYS = ('"id":"', '"id": "', "'id': '", "id: ")
_ID_TAIL = re.compile(r"/subscriptions/[^\"'\s,<>]+")
_QUOTED = re.compile(r"[\"']([^\"'\s]{1,260})[\"']")
#: Larger artifacts are not read (a region is still given: line 1).
MAX_ARTIFACT_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Region:
    """A 1-based line and the columns of the match on it, as SARIF's region wants it."""

    line: int
    end_column: int
    start_column: int = 1


@dataclass(frozen=True, slots=True)
class Located:
    """The artifact URI for a resource and its region in that artifact."""

    uri: str
    relative: bool
    region: Region


def repository_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the working directory) holding ``.git``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


class Locator:
    """Finds resources in one or more artifacts (read once, indexed by lower-cased id)."""

    def __init__(
        self,
        artifacts: Iterable[str],
        root: Path | None = None,
        wanted: Iterable[str] | None = None,
    ) -> None:
        """Read each artifact once; ``wanted`` (the ids to be located) makes indexing cheaper."""
        wanted = None if wanted is None else list(wanted)
        keys = None if wanted is None else {w.lower().rstrip("/") for w in wanted}
        self.cwd = (root or repository_root()).resolve()
        self.files: list[tuple[str, bool, list[str], dict[str, Region]]] = []
        # Built only when a lookup needs them: mentions of ids outside "id" keys, quoted names.
        self._mentions: dict[int, dict[str, Region]] = {}
        self._names: dict[int, dict[str, Region]] = {}
        self._found: dict[str, Located] = {}
        for artifact in artifacts:
            uri, relative = self._uri(Path(artifact))
            lines = _read_lines(Path(artifact))
            index = (
                _index(lines)
                if keys is None
                else _wanted_index(lines, keys, {w.rstrip("/") for w in wanted or ()})
            )
            self.files.append((uri, relative, lines, index))

    def _uri(self, path: Path) -> tuple[str, bool]:
        """A URI relative to the repository root (%SRCROOT%); the file name when outside it."""
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):
            resolved = path
        try:
            return resolved.relative_to(self.cwd).as_posix(), True
        except ValueError:
            return path.name or "artifact", True

    def uri_of(self, path: str) -> tuple[str, bool]:
        """The URI of any file as SARIF names it (relative to the repository root)."""
        return self._uri(Path(path))

    def locate(self, resource_id: str) -> Located:
        """The first artifact naming the resource, at that line; else line 1 of the first."""
        key = resource_id.lower()
        if key not in self._found:
            self._found[key] = self._locate(key)
        return self._found[key]

    def _locate(self, key: str) -> Located:
        name = key.rstrip("/").rsplit("/", 1)[-1]
        for i, (uri, relative, lines, index) in enumerate(self.files):
            region = index.get(key.rstrip("/"))
            if region is None:
                if i not in self._mentions:
                    self._mentions[i] = _mentions(lines)
                region = self._mentions[i].get(key.rstrip("/"))
            if region is None and name:
                if i not in self._names:
                    self._names[i] = _quoted_index(lines)
                region = self._names[i].get(name)
            if region is not None:
                return Located(uri, relative, region)
        if self.files:
            uri, relative, lines, _ = self.files[0]
            return Located(uri, relative, Region(1, min(len(lines[0]) if lines else 0, 1000) + 1))
        # No file at all (a live scan without config): a stable pseudo-path per resource.
        return Located("azure" + key, True, Region(1, 2))


def _read_lines(path: Path) -> list[str]:
    """The artifact's lines; nothing for a missing, special (FIFO, device), huge or gzip file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return []
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ARTIFACT_BYTES:
            return []
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read()
    except OSError:
        return []
    finally:
        os.close(fd)
    if raw[:2] == b"\x1f\x8b":
        return []  # a compressed file has no lines a reviewer could look at
    return raw.decode("utf-8-sig", errors="replace").splitlines()


def _index(lines: list[str]) -> dict[str, Region]:
    """Lower-cased id -> region where it is a row's ``"id"`` (the mentions come on demand).

    One regex pass per line over the lower-cased text; nothing is searched again before each
    id (that made a single-line snapshot quadratic).
    """
    as_id: dict[str, Region] = {}
    for number, text in enumerate(lines, start=1):
        lower = text.lower()
        if "/subscriptions/" not in lower or len(lower) != len(text):
            continue  # (a line whose lower-casing moved columns is found by _mentions)
        fast = 0
        for literal in _FAST_KEYS:
            if literal not in lower:
                continue
            width = len(literal)
            close = literal[-1] if literal[-1] in "\"'" else ""
            parts = lower.split(literal)
            offset = len(parts[0])
            for part in parts[1:]:
                begin = offset + width
                offset = begin + len(part)
                if not part.startswith("/subscriptions/"):
                    continue
                if close:
                    stop = part.find(close)
                    text_id = part if stop < 0 else part[:stop]
                else:
                    match = _ID_TAIL.match(part)
                    text_id = match.group(0) if match else part
                fast += 1
                key = text_id.rstrip("/")
                found = as_id.get(key)
                if found is None or (found.line, found.start_column) > (number, begin + 1):
                    as_id[key] = Region(number, begin + len(text_id) + 1, begin + 1)
        if fast:
            continue  # the common spellings were used; odd spacing is left to _mentions
        for quoted in _KEYS:
            at = lower.find(quoted)
            while at >= 0:
                match = _ROW_ID.match(lower, at)
                if match:
                    key = match.group(1).rstrip("/")
                    if key not in as_id:
                        as_id[key] = Region(number, match.end(1) + 1, match.start(1) + 1)
                at = lower.find(quoted, at + 4)
    return as_id


_JSON_KEYS = ('"id":"', '"id": "')
_JSON_ID = {key: re.compile(re.escape(key) + r'(/subscriptions/[^"]*)') for key in _JSON_KEYS}


def _exact_index(lines: list[str], exact: set[str]) -> dict[str, Region]:
    """Lower-cased id -> region, for ids written exactly as in ``exact`` (no lower-casing pass)."""
    out: dict[str, Region] = {}
    for number, text in enumerate(lines, start=1):
        for literal in _JSON_KEYS:
            if literal not in text:
                continue
            for match in _JSON_ID[literal].finditer(text):
                value = match.group(1)
                if value in exact:
                    key = value.lower().rstrip("/")
                    found = out.get(key)
                    if found is None or (found.line, found.start_column) > (
                        number,
                        match.start(1) + 1,
                    ):
                        out[key] = Region(number, match.end(1) + 1, match.start(1) + 1)
    return out


def _wanted_index(
    lines: list[str], wanted: set[str], exact: set[str] | None = None
) -> dict[str, Region]:
    """Like :func:`_index` for the ``wanted`` ids only, in C-speed passes over each line.

    One regex pass (a literal prefix: the engine skips ahead in C) yields each ``"id":"`` value;
    Python only looks it up in ``wanted``. Ids spelled as the findings spell them (``exact``)
    are found without lower-casing the file; the rest by a pass over the lower-cased text.
    Other spellings fall back to :func:`_index` on that line.
    """
    out: dict[str, Region] = _exact_index(lines, exact) if exact else {}
    wanted = wanted - set(out)
    if not wanted:
        return out
    for number, text in enumerate(lines, start=1):
        lower = text.lower()
        if "/subscriptions/" not in lower:
            continue
        if len(lower) != len(text) or not any(k in lower for k in _JSON_KEYS):
            for key, region in _index([""] * (number - 1) + [text]).items():
                out.setdefault(key, region)
            continue
        for literal in _JSON_KEYS:
            if literal not in lower:
                continue
            pattern = _JSON_ID[literal]
            for match in pattern.finditer(lower):
                value = match.group(1)
                if value not in wanted:
                    continue
                begin = match.start(1)
                found = out.get(value)
                if found is None or (found.line, found.start_column) > (number, begin + 1):
                    out[value] = Region(number, begin + len(value) + 1, begin + 1)
    return out


def _mentions(lines: list[str]) -> dict[str, Region]:
    """Lower-cased id -> region of its first mention anywhere (a YAML list, a Bicep string)."""
    out: dict[str, Region] = {}
    for number, text in enumerate(lines, start=1):
        lower = text.lower()
        if "/subscriptions/" not in lower:
            continue
        same = len(lower) == len(text)
        for match in _ARM_ID.finditer(lower) if same else _ARM_ID_ANY_CASE.finditer(text):
            key = match.group(0).lower().rstrip("/")
            if key not in out:
                out[key] = Region(number, match.end() + 1, match.start() + 1)
    return out


def _quoted_index(lines: list[str]) -> dict[str, Region]:
    """Lower-cased quoted strings -> first region: where a Bicep or YAML file names a resource."""
    out: dict[str, Region] = {}
    for number, text in enumerate(lines, start=1):
        for match in _QUOTED.finditer(text):
            out.setdefault(
                match.group(1).lower(), Region(number, match.end(1) + 1, match.start(1) + 1)
            )
    return out
