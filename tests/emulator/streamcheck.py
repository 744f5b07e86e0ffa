"""The ingestion route's body decoding and row check, compiled once per declared stream.

Same verdicts as :func:`tests.emulator.ingestion.check_rows` (the reference, which also words
every rejection), computed a column at a time by C loops (``map``/``set``) instead of a value at
a time in Python: the export benchmark sends a hundred thousand rows through this route, and the
emulator shares the machine's cores with the exporter it measures. Every row is still checked
against the stream: each column any row uses must be declared and not reserved, and every value
of a typed column must have that type (datetimes parsed, each distinct text once).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import zlib
from collections.abc import Callable
from itertools import repeat
from typing import Any, cast

_fast_loads: Callable[[bytes], Any] | None
try:  # test extra: about twice as fast as json on a 1 MB body; same objects out
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - the json module gives the same rows
    _fast_loads = None

_decompress: Callable[[bytes], bytes] = gzip.decompress
_GZIP_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error)
try:  # amlguard's own gzip (ISA-L) where installed: the same bytes out, in half the time
    from isal import igzip, isal_zlib

    _decompress = igzip.decompress
    _GZIP_ERRORS = (*_GZIP_ERRORS, cast("type[Exception]", isal_zlib.error))
except ImportError:  # pragma: no cover - gzip reads every member the same way
    pass

_NONE = type(None)
#: Datetime texts remembered as valid at most (then forgotten, and parsed again when seen).
_MAX_TIMES = 100_000
#: The Python types (as json parses them) each Log Analytics column type accepts; None is null.
_ALLOWED: dict[str, frozenset[type]] = {
    "string": frozenset({str, _NONE}),
    "boolean": frozenset({bool, _NONE}),
    "int": frozenset({int, _NONE}),
    "long": frozenset({int, _NONE}),
    "real": frozenset({int, float, _NONE}),
}


def loads(raw: bytes) -> Any:
    """A request body's JSON as Python objects; ValueError when it is not JSON.

    orjson when installed (stricter than json: no NaN, no lone surrogates, integers within 64
    bits; the service takes none of those either), else the json module.
    """
    if _fast_loads is not None:
        return _fast_loads(raw)
    return json.loads(raw, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def gunzip(raw: bytes) -> bytes:
    """A gzip body's bytes (every member); ValueError when it is not gzip."""
    try:
        return _decompress(raw)
    except _GZIP_ERRORS as exc:
        raise ValueError(f"not gzip: {exc}") from None


def datetime_ok(value: Any) -> bool:
    """Whether ``value`` is a datetime column's text (ISO 8601, ``Z`` allowed)."""
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


#: A column's plan: its name, the value types it allows (None: a datetime, parsed).
_Column = tuple[str, "frozenset[type] | None"]


class StreamCheck:
    """``check(rows)`` says whether a body's rows fit one declared stream (True when they do).

    ``columns`` maps a column name to its type; ``reserved`` are lower-cased names no row may
    use (nor any ``_``-prefixed one). A False answer is worded by the reference check.
    """

    def __init__(self, columns: dict[str, str], reserved: frozenset[str]) -> None:
        self.columns = columns
        self.reserved = reserved
        self._plans: dict[frozenset[str], list[_Column] | None] = {}
        self._times: set[str] = set()  # datetime texts seen to parse, across requests

    def _plan(self, names: frozenset[str]) -> list[_Column] | None:
        """The typed columns among ``names``; None when one is undeclared or reserved."""
        plan: list[_Column] = []
        for name in names:
            kind = self.columns.get(name)
            if kind is None or name.startswith("_") or name.lower() in self.reserved:
                return None
            if kind == "datetime":
                plan.append((name, None))
            elif kind != "dynamic":
                allowed = _ALLOWED.get(kind)
                if allowed is None:  # a type the route does not know takes no value but null
                    allowed = frozenset({_NONE})
                plan.append((name, allowed))
        return plan

    def __call__(self, rows: Any) -> bool:
        if type(rows) is not list:
            return False
        if not rows:
            return True
        if set(map(type, rows)) != {dict}:
            return False
        names = frozenset().union(*rows)
        if names in self._plans:
            plan = self._plans[names]
        else:
            plan = self._plans[names] = self._plan(names)
        if plan is None:
            return False
        get: Callable[..., Any] = dict.get  # a missing column reads as null: allowed everywhere
        times = self._times
        for name, allowed in plan:
            values = map(get, rows, repeat(name))
            if allowed is not None:
                if not allowed.issuperset(map(type, values)):
                    return False
                continue
            try:
                fresh = set(values) - times
            except TypeError:  # a list or object where a datetime belongs
                return False
            fresh.discard(None)
            if not all(map(datetime_ok, fresh)):
                return False
            if len(times) > _MAX_TIMES:
                times.clear()
            times |= fresh
        return True
