"""The ingestion route's fast path: a body parsed and type-checked against its stream in one C pass.

msgspec (test extra) decodes a body straight into one struct per row whose fields are the
stream's typed columns: an undeclared or reserved column, or a value of the wrong type in ANY row,
fails the decode. Datetime texts are then parsed (each distinct text once). Where this path says
yes, the reference path (:func:`tests.emulator.streamcheck.loads`, then
:class:`~tests.emulator.streamcheck.StreamCheck`) says yes too; where it says anything else
(an error, or a body it cannot judge) the route asks the reference path, which gives and words
the verdict as before. So the verdicts are the reference's, and the fast path only saves building
and freeing a dict per row when a body is good (the export benchmark sends ~100 MB of rows through
here, on the cores the exporter it measures runs on).

Where msgspec is lenient and orjson is not, the types are narrowed: orjson reads an integer
outside [-2**63, 2**64 - 1] as a float, so an ``int`` column takes only integers in int64's
range here (msgspec bounds no wider; the few above it go to the reference, which takes them).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Annotated, Any

from tests.emulator.streamcheck import datetime_ok

try:  # test extra; without it every body takes the reference path
    import msgspec
except ImportError:  # pragma: no cover - the reference path gives the same verdicts
    msgspec = None  # type: ignore[assignment]

#: Datetime texts remembered as valid at most (then forgotten, and parsed again when seen).
_MAX_TIMES = 100_000
#: Nesting a dynamic value may have here. orjson refuses a document nested deeper than 1,024
#: (the body's array and the row's object are two of them); msgspec's limit follows Python's
#: recursion limit, which a test run may raise: a deeper value goes to the reference.
_MAX_DEPTH = 1_000


def _shallow(value: Any) -> bool:
    """Whether the list or dict ``value`` nests at most :data:`_MAX_DEPTH` deep."""
    level = [value]
    for _ in range(_MAX_DEPTH):
        inner = []
        for v in level:
            items = v.values() if type(v) is dict else v
            inner += [x for x in items if type(x) is list or type(x) is dict]
        if not inner:
            return True
        level = inner
    return False


def _field_type(kind: str) -> Any:
    """The msgspec type of a column of Log Analytics type ``kind`` (null or absent allowed)."""
    unset = msgspec.UnsetType
    if kind == "dynamic":
        return Any
    if kind in ("string", "datetime"):
        return str | None | unset
    if kind == "boolean":
        return bool | None | unset
    if kind in ("int", "long"):  # orjson reads a wider integer as a float: not an int
        return Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)] | None | unset
    if kind == "real":
        return int | float | None | unset
    return None | unset  # a type the route does not know takes no value but null


class FastCheck:
    """``rows(raw)``: how many rows body ``raw`` holds when they certainly fit the stream."""

    def __init__(self, columns: dict[str, str], reserved: frozenset[str]) -> None:
        self.available = msgspec is not None
        self._times: set[str] = set()
        self._dates: list[Callable[[Any], Any]] = []
        self._dynamic: list[Callable[[Any], Any]] = []
        if not self.available:
            return
        fields = []
        for i, (name, kind) in enumerate(columns.items()):
            if name.startswith("_") or name.lower() in reserved:
                continue  # not a field: a row using it is refused (then worded by the reference)
            default = msgspec.field(default=msgspec.UNSET, name=name)
            fields.append((f"c{i}", _field_type(kind), default))
            if kind == "datetime":
                self._dates.append(attrgetter(f"c{i}"))
            elif kind == "dynamic":
                self._dynamic.append(attrgetter(f"c{i}"))
        row = msgspec.defstruct("Row", fields, forbid_unknown_fields=True, gc=False)
        self._decode = msgspec.json.Decoder(list[row]).decode  # type: ignore[valid-type]

    def rows(self, raw: bytes) -> int | None:
        """The number of rows when ``raw`` is a JSON array of rows that fit; None: not certain."""
        if not self.available:
            return None
        try:
            rows = self._decode(raw)
        except (msgspec.DecodeError, ValueError, RecursionError):
            return None
        for value_of in self._dynamic:
            values = list(map(value_of, rows))
            kinds = set(map(type, values))
            if (list in kinds or dict in kinds) and not all(
                _shallow(v) for v in values if type(v) is list or type(v) is dict
            ):
                return None
        times = self._times
        for date in self._dates:
            fresh = set(map(date, rows)) - times
            fresh.discard(None)
            fresh.discard(msgspec.UNSET)
            if not all(map(datetime_ok, fresh)):
                return None
            if len(times) > _MAX_TIMES:
                times.clear()
            times |= fresh
        return len(rows)
