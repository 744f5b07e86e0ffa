"""Where a resource appears in a file, so SARIF alerts point at a real line.

Configuration findings have no source line of their own. GitHub code scanning still needs a
file and a region, so we point at the artifact the user names (``--sarif-artifact``, e.g. the
Bicep file that deploys the workspace), else the snapshot the scan read, else the config file,
at the line where the resource's id (or, failing that, its quoted name) first appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# An ARM id inside quotes or after whitespace: runs to the next quote, space or comma.
_ARM_ID = re.compile(r"/subscriptions/[^\"'\s,<>]+", re.IGNORECASE)
_ID_KEY = re.compile(r"[\"']id[\"']\s*:\s*[\"']$")
_QUOTED = re.compile(r"[\"']([^\"'\s]{1,260})[\"']")


@dataclass(frozen=True, slots=True)
class Region:
    """A 1-based line and its length, as SARIF's region wants it."""

    line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Located:
    """The artifact URI for a resource and its region in that artifact."""

    uri: str
    relative: bool
    region: Region


class Locator:
    """Finds resources in one or more artifacts (read once, indexed by lower-cased id)."""

    def __init__(self, artifacts: Iterable[str], cwd: Path | None = None) -> None:
        self.cwd = (cwd or Path.cwd()).resolve()
        self.files: list[tuple[str, bool, list[str], dict[str, int]]] = []
        self._names: dict[int, dict[str, int]] = {}  # built only if a name lookup is needed
        self._found: dict[str, Located] = {}
        for artifact in artifacts:
            uri, relative = self._uri(Path(artifact))
            lines = _read_lines(Path(artifact))
            self.files.append((uri, relative, lines, _index(lines)))

    def _uri(self, path: Path) -> tuple[str, bool]:
        """A repository-relative URI when the file is under the working directory."""
        try:
            return path.resolve().relative_to(self.cwd).as_posix(), True
        except ValueError:
            if path.is_absolute():
                return path.resolve().as_uri(), False
            return path.as_posix(), True

    def locate(self, resource_id: str) -> Located:
        """The first artifact naming the resource, at that line; else line 1 of the first."""
        key = resource_id.lower()
        if key not in self._found:
            self._found[key] = self._locate(key)
        return self._found[key]

    def _locate(self, key: str) -> Located:
        name = key.rstrip("/").rsplit("/", 1)[-1]
        for i, (uri, relative, lines, index) in enumerate(self.files):
            line = index.get(key)
            if line is None and name:
                if i not in self._names:
                    self._names[i] = _quoted_index(lines)
                line = self._names[i].get(name)
            if line is not None:
                return Located(uri, relative, Region(line, len(lines[line - 1]) + 1))
        if self.files:
            uri, relative, lines, _ = self.files[0]
            return Located(uri, relative, Region(1, (len(lines[0]) if lines else 0) + 1))
        # No file at all (a live scan without config): a stable pseudo-path per resource.
        return Located("azure" + key, True, Region(1, 2))


def _read_lines(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError:
        return []
    if raw[:2] == b"\x1f\x8b":
        return []  # a compressed file has no lines a reviewer could look at
    return raw.decode("utf-8-sig", errors="replace").splitlines()


def _index(lines: list[str]) -> dict[str, int]:
    """Lower-cased id -> line: where it is a row's ``"id"`` if anywhere, else first mention."""
    as_id: dict[str, int] = {}
    mention: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if "/subscriptions/" not in text.lower():
            continue
        for match in _ARM_ID.finditer(text):
            key = match.group(0).lower()
            mention.setdefault(key, number)
            if _ID_KEY.search(text[: match.start()]):
                as_id.setdefault(key, number)
    return {**mention, **as_id}


def _quoted_index(lines: list[str]) -> dict[str, int]:
    """Lower-cased quoted strings -> first line: where a Bicep or YAML file names a resource."""
    out: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        for match in _QUOTED.finditer(text):
            out.setdefault(match.group(1).lower(), number)
    return out
