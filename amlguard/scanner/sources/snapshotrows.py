"""The checks every snapshot row passes before a scan: an object with an id, a type its id does
not contradict, objects where ARM's schema has objects, one content per id.

Run on every row of a fleet (tens of thousands), so the usual row takes a fast path that proves
it sound with a few C-level string calls (see :func:`_check_rows`); anything else takes the
exact, slower reading (:func:`_row_problem`), which alone words the error.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from itertools import chain, compress, repeat
from operator import delitem, itemgetter, ne
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.excerpt import quoted

__all__ = ["row_problem"]


def _kind(value: Any) -> str:
    """A value's JSON type, as a message says it ("an object", never "dict")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a value of no JSON type"


def _check_rows(rows: list[Any], path: Path, where: Callable[[int], str]) -> None:
    """Every row an object with an id, a type its id does not contradict, object
    ``properties``; one id twice with different content is a conflict (exit 2)."""
    if not _all_sound(rows):
        _check_each_row(rows, path, where)  # finds the first problem, in row order


def _check_each_row(rows: list[Any], path: Path, where: Callable[[int], str]) -> None:
    """:func:`_check_rows`, row by row: raises the InputError of the first problem."""
    first: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = _checked_key(row, path, where, i)
        seen = first.get(key)
        if seen is None:
            first[key] = i
        elif rows[seen] != row:
            raise InputError(
                f"{path}{where(i)}: resource {quoted(row['id'])} is also at "
                f"{where(seen).lstrip(': ')} with different content; which one is meant cannot "
                "be told"
            )


#: The types a row's top-level ``properties``/``identity``/``sku``/``tags`` may have.
_OBJECT_OR_NULL = frozenset({dict, type(None)})


def _all_sound(rows: list[Any]) -> bool:
    """True when every row passes :func:`_check_each_row` and no id repeats; False: ask it.

    The same checks, a column at a time with C-level calls instead of ~20 bytecodes a row (a
    fleet has tens of thousands of rows; this was a tenth of a snapshot check). It only proves
    rows sound: anything unusual (a row that is not an object, an id or type that is not a
    string, an id that is not ASCII, has blanks around it or a ``<``, a repeated id) answers
    False, and the row-by-row reading decides and words the error. Rows are JSON's: objects
    are dicts and strings ``str`` (a row that is not an object stops the ``dict.get`` pass).

    The type an id names is read off its key (the id lower-cased, trailing slashes dropped),
    which gives :func:`_named_type`'s type for such ids (:func:`_misnamed`); rows whose
    type may differ (ids without ``/providers/``, say) go to :func:`_row_problem` one by one,
    as do the deeper object paths of the types that have them.
    """
    count = len(rows)
    if not count:
        return True
    try:
        ids: list[Any] = list(map(dict.get, rows, repeat("id")))  # TypeError: not an object
        types: list[Any] = list(map(dict.get, rows, repeat("type")))
        joined = "\n".join(ids)  # TypeError: an id that is not a string
        kinds = set(types)  # TypeError: an unhashable type
    except TypeError:
        return False
    if any(type(kind) is not str for kind in kinds):
        return False
    if "" in ids or not joined.isascii() or "<" in joined or list(map(str.strip, ids)) != ids:
        return False
    # The four top-level objects of a row read together, while the row is in cache: ~3 M
    # more instructions at N = 100 than four passes, 8-20 ms less CPU at N = 1,000.
    tops = zip(*[map(dict.get, rows, repeat(name)) for name in _TOP_OBJECTS], strict=True)
    if not _OBJECT_OR_NULL.issuperset(map(type, chain.from_iterable(tops))):
        return False
    keys = list(map(str.lower, map(str.rstrip, ids, repeat("/"))))
    if len(set(keys)) != count:
        return False
    lows = {kind: kind.strip().lower() for kind in kinds}  # a few distinct types
    if any(not low or low[0] == "/" or low[-1] == "/" for low in lows.values()):
        return False
    if any(_row_problem(rows[i], ids[i]) is not None for i in _misnamed(keys, types, lows)):
        return False
    # The rest passed every check but the deeper object paths of their type.
    deep = {kind: _DEEP_OBJECTS + _OBJECTS.get(low, ()) for kind, low in lows.items()}
    deep = {kind: paths for kind, paths in deep.items() if paths}
    if not deep:
        return True
    return not any(
        _deep_problem(rows[i], deep[types[i]])
        for i in compress(range(len(rows)), map(deep.__contains__, types))
    )


def _misnamed(keys: list[str], types: list[str], lows: dict[str, str]) -> list[int]:
    """The indices of the rows whose key may not name their type (``lows[type]``): the type
    read off the tail after the key's last ``/providers/``, split on ``/``, every other
    segment from the third (the names) dropped, joined again."""
    tails = map(itemgetter(2), map(str.rpartition, keys, repeat("/providers/")))
    parts = list(map(str.split, tails, repeat("/")))
    deque(map(delitem, parts, repeat(slice(2, None, 2))), maxlen=0)
    named = map("/".join, parts)
    return list(compress(range(len(keys)), map(ne, named, map(lows.__getitem__, types))))


def _checked_key(row: Any, path: Path, where: Callable[[int], str], i: int) -> str:
    """The row's lower-cased id, read exactly; InputError for the first problem it has."""
    if not isinstance(row, dict):
        raise InputError(
            f"{path}{where(i)}: a row must be a JSON object with an 'id', found {_kind(row)}"
        )
    rid = row.get("id")
    if not isinstance(rid, str) or not rid.strip():
        named = f" (name {quoted(row['name'])})" if isinstance(row.get("name"), str) else ""
        raise InputError(f"{path}{where(i)}: row has no 'id'{named}")
    problem = _row_problem(row, rid)
    if problem:
        raise InputError(f"{path}{where(i)}: {problem}")
    return rid.strip().rstrip("/").lower()  # ids.norm() of a non-empty string, inlined


def row_problem(row: dict[str, Any]) -> str | None:
    """Why a row with an id cannot be judged as it stands (None when it can)."""
    return _row_problem(row, str(row["id"]))


def _row_problem(row: dict[str, Any], rid: str) -> str | None:
    """:func:`row_problem` of a row whose id the caller has read already."""
    rtype = row.get("type")
    if rtype is None:
        low = ""
    elif not isinstance(rtype, str):
        return f"'type' must be a string, found {_kind(rtype)}"
    else:
        low = rtype.strip().lower()
        named = _named_type(rid)
        # Only an id under /providers/ names a type (a subscription or group id does not).
        if named and low != named:
            return (
                f"its 'type' {quoted(rtype)} contradicts the type its id names ({quoted(named)}); "
                "a row of the wrong type would be silently skipped"
            )
    # The paths every row has (one key each: a row.get, no walk), then its type's own.
    for key in _TOP_OBJECTS:
        value = row.get(key)
        if value is not None and not isinstance(value, dict):
            return f"'{key}' must be an object, found {_kind(value)}"
    return _deep_problem(row, _DEEP_OBJECTS + _OBJECTS.get(low, ()))


def _deep_problem(row: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> str | None:
    """The first of ``paths`` (deeper than one key) where the row holds a non-object."""
    for parts in paths:
        value: Any = row
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, dict):
            return f"'{'.'.join(parts)}' must be an object, found {_kind(value)}"
    return None


def _named_type(rid: str) -> str:
    """The lower-cased type an id names ('' when it names none), as ``ids.parse`` reads it but
    cheap enough for every row of a fleet. A template's rows may name a resource by a value
    known only after deployment (``<unknown: ...>``, whose text holds slashes): its type is
    named before it."""
    # The usual id: one lower-case /providers/ and nothing after it that lower-cases into
    # another: only the tail is lower-cased and split (a third less per row).
    i = rid.rfind("/providers/")
    if i >= 0 and "<" not in rid:
        tail = rid[i + 10 :].lower()
        if "/providers/" not in tail:
            parts = tail[1:].split("/")
            del parts[2::2]  # namespace, then every other segment: the types
            return "/".join(parts).strip("/")
    low = rid.lower()
    cut = low.find("<unknown:")
    if cut >= 0:
        low = low[:cut] + "x"
    i = low.rfind("/providers/")
    if i < 0:
        return ""
    tail_parts = low[i + 11 :].split("/")
    return "/".join([tail_parts[0], *tail_parts[1::2]]).strip("/")


# Where ARM's schema has an object, a row that holds anything else is not that resource.
_OBJECTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "*": (("properties",), ("identity",), ("sku",), ("tags",)),
    "microsoft.machinelearningservices/workspaces": (
        ("properties", "managedNetwork"),
        ("properties", "managedNetwork", "outboundRules"),
        ("properties", "managedNetwork", "status"),
        ("identity", "userAssignedIdentities"),
    ),
}


#: the single-key paths of every row, read with one ``get`` each; the longer ones walked
_TOP_OBJECTS = tuple(p[0] for p in itertools.takewhile(lambda p: len(p) == 1, _OBJECTS["*"]))
_DEEP_OBJECTS = _OBJECTS["*"][len(_TOP_OBJECTS) :]
