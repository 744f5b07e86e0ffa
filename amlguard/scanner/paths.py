"""Property paths: ``properties.managedNetwork.outboundRules[*].destination``.

Segments are separated by dots; ``[*]`` iterates the items of a list or the values of a map
(so ``outboundRules[*]`` walks the map of rules); ``[N]`` indexes a list. Property names match
case-insensitively, as in Azure Policy aliases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from amlguard.scanner.unknown import Unknown


class _Missing:
    """The value of a path that leads nowhere: an absent value is a value, not an error."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

WILDCARD = "*"
_TOKEN = re.compile(r"\[(\*|\d+)\]|([^.\[\]]+)")


class PathError(ValueError):
    """A path string that does not parse."""


@lru_cache(maxsize=1024)
def compile_path(path: str) -> tuple[str | int, ...]:
    """Parse a path into segments: names (str), ``WILDCARD`` or list indexes (int); the same
    text is parsed once (a rule's leaf, its getter and its count share their paths)."""
    text = path.strip()
    if not text:
        raise PathError("empty property path")
    segments: list[str | int] = []
    pos = 0
    while pos < len(text):
        if text[pos] == ".":
            if pos == 0 or pos == len(text) - 1 or text[pos + 1] == ".":
                raise PathError(f"misplaced '.' in path {path!r}")
            pos += 1
            continue
        m = _TOKEN.match(text, pos)
        if not m:
            raise PathError(f"cannot parse path {path!r} at position {pos}")
        if m.group(1) is not None:
            token = m.group(1)
            segments.append(WILDCARD if token == "*" else int(token))
        else:
            segments.append(m.group(2))
        pos = m.end()
    return tuple(segments)


def has_wildcard(segments: Sequence[str | int]) -> bool:
    return WILDCARD in segments


def get_key(obj: Any, key: str) -> Any:
    """``obj[key]`` with a case-insensitive fallback; MISSING when absent."""
    if type(obj) is dict:  # one lookup, not two (JSON never holds the MISSING sentinel)
        value = obj.get(key, MISSING)
        if value is not MISSING:
            return value
    elif not isinstance(obj, dict):
        # A template value unknown before deployment: its members are unknown too, not absent.
        return (
            Unknown(f"{obj.key}.{key}", obj.secret, obj.where) if type(obj) is Unknown else MISSING
        )
    elif key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return MISSING


def resolve(obj: Any, segments: Sequence[str | int]) -> Any:
    """The value at a path without wildcards, or MISSING (``None`` counts as absent)."""
    cur = obj
    for seg in segments:
        if type(cur) is dict and type(seg) is str:
            # get_key's exact-spelling hit, without the call (an absent or null value: the
            # call, which also tries the other spellings)
            nxt = cur.get(seg)
            cur = get_key(cur, seg) if nxt is None else nxt
        elif isinstance(seg, int):
            cur = cur[seg] if isinstance(cur, list) and -len(cur) <= seg < len(cur) else MISSING
        else:
            cur = get_key(cur, seg)
        if cur is MISSING or cur is None:
            return MISSING
    return cur


def resolve_all(obj: Any, segments: Sequence[str | int]) -> list[Any]:
    """Every value a wildcard path reaches, one per innermost item (MISSING where absent)."""
    results: list[Any] = []
    _walk(obj, tuple(segments), results)
    return results


def _walk(cur: Any, segments: tuple[str | int, ...], out: list[Any]) -> None:
    for i, seg in enumerate(segments):
        if seg == WILDCARD:
            if type(cur) is Unknown:  # unknown items: the leaf sees an unknown, not none
                out.append(Unknown(f"{cur.key}[*]", cur.secret, cur.where))
                return
            for item in iterate(cur):
                _walk(item, segments[i + 1 :], out)
            return
        if type(cur) is dict and type(seg) is str:  # as in resolve()
            nxt = cur.get(seg)
            cur = get_key(cur, seg) if nxt is None else nxt
        elif isinstance(seg, int):
            cur = cur[seg] if isinstance(cur, list) and -len(cur) <= seg < len(cur) else MISSING
        else:
            cur = get_key(cur, seg)
        if cur is MISSING or cur is None:
            out.append(MISSING)
            return
    out.append(cur)


def iterate(value: Any) -> list[Any]:
    """The items ``[*]`` walks: list items, map values; nothing for anything else."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return []


def split_at_last_wildcard(
    segments: Sequence[str | int],
) -> tuple[tuple[str | int, ...], tuple[str | int, ...]]:
    """(collection path up to and including the last ``[*]``, remainder after it)."""
    last = max(i for i, s in enumerate(segments) if s == WILDCARD)
    return tuple(segments[: last + 1]), tuple(segments[last + 1 :])


def format_path(segments: Sequence[str | int]) -> str:
    """The display form of compiled segments."""
    out = ""
    for seg in segments:
        if seg == WILDCARD:
            out += "[*]"
        elif isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out += ("." if out else "") + seg
    return out
