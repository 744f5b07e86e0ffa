"""Strict reads of raw row values for the Python related sources and primitives.

A rule written in YAML reads values through conditions, which raise
:class:`~amlguard.scanner.unknown.UnknownValue` on a template value unknown before deployment.
A related source written in Python reads raw row values itself: lenient helpers such as
``value if isinstance(value, dict) else {}`` turn an unknown (a ``str`` subclass) or a
malformed shape (an outbound rule that is a string, a destination that is a list, a
``dnsServers`` that is one string) into "nothing", and "nothing" makes a rule pass.

The readers here never do that. An absent value (missing, or JSON ``null``) stays absent
(``None``); a value of the expected shape is returned; anything else cannot be judged:

- an :class:`~amlguard.scanner.unknown.Unknown` raises :class:`UnknownAt` ("unknown before
  deployment: ..."), naming the resource and the property path;
- a value of another shape raises :class:`MalformedValue`, naming the resource, the path,
  what was found and what was expected.

Both are :class:`~amlguard.scanner.unknown.UnknownValue`, so ``allOf``/``anyOf`` keep their
Kleene logic (another branch may still settle the answer) and otherwise the finding is
``error`` and the scan exits 3.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner.context import Undeterminable
from amlguard.scanner.paths import MISSING, get_key
from amlguard.scanner.unknown import Unknown, UnknownValue
from amlguard.textsafe import visible

__all__ = [
    "MalformedValue",
    "UnknownAt",
    "Where",
    "describe",
    "items",
    "member",
    "obj",
    "strings",
    "text",
]

#: how much of a malformed value a message quotes
QUOTE_LIMIT = 80


class Where:
    """Where a value sits: the resource that holds it and the property path to it."""

    __slots__ = ("_key", "_parent", "_path", "resource")

    def __init__(self, resource: Any, path: str) -> None:
        self.resource = str(resource)
        self._path: str | None = path
        self._parent: Where | None = None
        self._key: str | int = ""

    @property
    def path(self) -> str:
        """The property path (worked out when asked: most places are never named)."""
        path = self._path
        if path is None:
            parent, key = self._parent, self._key
            base = parent.path if parent is not None else ""
            step = f"[{key}]" if isinstance(key, int) else (f".{key}" if base else str(key))
            path = self._path = f"{base}{step}"
        return path

    def __truediv__(self, key: str | int) -> Where:
        """The path one member further (``where / "destination"``, ``where / 0``)."""
        child = _NEW_WHERE(Where)
        child.resource = self.resource
        child._path = None
        child._parent = self
        child._key = key
        return child

    def __str__(self) -> str:
        return f"{self.path} of {self.resource}"


_NEW_WHERE = object.__new__


class UnknownAt(UnknownValue):
    """A value unknown before deployment where a related source needs a known one."""

    def __init__(self, value: Unknown, where: Where) -> None:
        super().__init__(value)
        self.args = (f"{value.reason()}, at {visible(str(where))}",)


class MalformedValue(UnknownValue):
    """A value whose shape a related source cannot judge (the rule is neither pass nor fail).

    An :class:`UnknownValue` so that ``allOf``/``anyOf`` still decide when another branch
    settles the answer; ``value`` is None (there is no template unknown behind it)."""

    def __init__(self, message: str) -> None:
        Undeterminable.__init__(self, message)
        self.value = None  # type: ignore[assignment]


def describe(value: Any) -> str:
    """A malformed value in words, quoted briefly and made visible."""
    kind = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
    shown = visible(repr(value))
    if len(shown) > QUOTE_LIMIT:
        shown = shown[: QUOTE_LIMIT - 3] + "..."
    return f"{kind} ({shown})"


def _absent(value: Any) -> bool:
    return value is MISSING or value is None


def _check(value: Any, where: Where) -> None:
    if type(value) is Unknown:
        raise UnknownAt(value, where)


def _malformed(value: Any, where: Where, expected: str) -> MalformedValue:
    return MalformedValue(
        f"{visible(str(where))} is {describe(value)}, expected {expected}: cannot be judged"
    )


def member(parent: dict[str, Any] | None, key: str) -> Any:
    """``parent[key]`` (case-insensitive), MISSING when ``parent`` is None or lacks it."""
    return MISSING if parent is None else get_key(parent, key)


def obj(value: Any, where: Where) -> dict[str, Any] | None:
    """An object, or None when absent; an unknown or another shape cannot be judged."""
    if type(value) is dict:  # the usual shape (never absent, never unknown), at once
        return value
    if _absent(value):
        return None
    _check(value, where)
    if isinstance(value, dict):
        return value
    raise _malformed(value, where, "an object")


def text(value: Any, where: Where) -> str | None:
    """A string, or None when absent; an unknown or another shape cannot be judged."""
    if type(value) is str:  # the usual shape (never absent, never unknown), at once
        return value
    if _absent(value):
        return None
    _check(value, where)
    if isinstance(value, str):
        return value
    raise _malformed(value, where, "a string")


def items(value: Any, where: Where) -> list[Any] | None:
    """A list, or None when absent; an unknown or another shape cannot be judged."""
    if type(value) is list:  # the usual shape (never absent, never unknown), at once
        return value
    if _absent(value):
        return None
    _check(value, where)
    if isinstance(value, list):
        return value
    raise _malformed(value, where, "a list")


def strings(value: Any, where: Where) -> list[str]:
    """A list of strings ([] when absent; null items skipped); an unknown list or item, or
    another shape, cannot be judged."""
    found = items(value, where) or []
    return [t for i, v in enumerate(found) if (t := text(v, where / i)) is not None]
