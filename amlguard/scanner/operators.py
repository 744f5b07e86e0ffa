"""The operators of a leaf condition (``equals``, ``in``, ``like``...) and how values are shown.

Comparisons follow Azure Policy: strings compare case-insensitively (an operand is folded once,
the actual value at the comparison), an absent value is a value (``MISSING``: it fails
``equals``), ``like`` has ``*`` as its only wildcard and ``match`` Azure Policy's ``#``/``?``/``.``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from amlguard.scanner import valuetypes, wildcard
from amlguard.scanner.paths import MISSING

OPERATORS = (
    "equals",
    "notEquals",
    "in",
    "notIn",
    "exists",
    "contains",
    "notContains",
    "containsAll",
    "containsAny",
    "like",
    "notLike",
    "match",
    "notMatch",
    "greater",
    "greaterOrEquals",
    "less",
    "lessOrEquals",
    "is",
)


def fold(value: Any) -> Any:
    """The comparison form of a value: strings lower-cased, recursively."""
    kind = type(value)  # JSON's own str and list first: a list's strings without a call each
    if kind is str:
        return value.lower()
    if kind is list:
        return [v.lower() if type(v) is str else fold(v) for v in value]
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list):
        return [fold(v) for v in value]
    if isinstance(value, dict):
        return {str(k).lower(): fold(v) for k, v in value.items()}
    return value


def _as_list(value: Any) -> list[Any]:
    if value is MISSING or value is None:
        return []
    return value if isinstance(value, list) else [value]


def _equals(a: Any, b: Any) -> bool:
    if a is MISSING:
        return False
    if type(a) is str and type(b) is not bool:  # the usual case: what fold(a) == b does
        return a.lower() == b
    if type(a) is int and type(b) is int:  # a count against its literal (bool is not int here)
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        # "true" and True are the same to an Azure engineer reading YAML.
        return fold(a) == fold(b) or str(a).lower() == str(b).lower()
    return fold(a) == b


def _not_equals(a: Any, b: Any) -> bool:
    """``not _equals(a, b)``; its usual case without the second frame."""
    if type(a) is str and type(b) is not bool:
        return a.lower() != b
    return not _equals(a, b)


def _in(a: Any, b: Any) -> bool:
    """``a`` equals one of ``b``'s items (see :func:`_equals`); a string is lower-cased once,
    not once per item."""
    if a is MISSING:
        return False
    if type(a) is str:
        low = a.lower()
        for x in _as_list(b):  # noqa: SIM110 (a loop, not any() over a generator: per item)
            if (type(x) is bool and _equals(a, x)) or low == x:
                return True
        return False
    return any(_equals(a, x) for x in _as_list(b))


def _not_in(a: Any, b: Any) -> bool:
    """``not _in(a, b)``; a string's case (AMLG-240's statuses) without the second frame."""
    if type(a) is str:
        low = a.lower()
        for x in _as_list(b):  # noqa: SIM110 (as _in's loop)
            if (type(x) is bool and _equals(a, x)) or low == x:
                return False
        return True
    return not _in(a, b)


def _contains_all(a: Any, b: Any) -> bool:
    folded = fold(_as_list(a))  # once, not once per wanted item
    for x in _as_list(b):  # noqa: SIM110 (a loop, not all() over a generator: per item)
        if x not in folded:
            return False
    return True


def _contains_any(a: Any, b: Any) -> bool:
    folded = fold(_as_list(a))
    return any(x in folded for x in _as_list(b))


def _contains(a: Any, b: Any) -> bool:
    if isinstance(a, str):
        return isinstance(b, str) and b in a.lower()
    if isinstance(a, list):
        if type(b) is str:  # only a string item folds to a string: no folded copy of the list
            for x in a:  # noqa: SIM110 (a loop, not any() over a generator: per item)
                if isinstance(x, str) and x.lower() == b:
                    return True
            return False
        return b in fold(a)
    if isinstance(a, dict):
        return isinstance(b, str) and b in {str(k).lower() for k in a}
    return False


def _number(value: Any) -> int | float | None:
    """A value as a number for greater/less: ints stay exact (no float overflow), numeric
    strings are parsed; None when it is not a number."""
    if isinstance(value, bool) or value is None or value is MISSING:
        return None
    if isinstance(value, (int, float)):
        return None if value != value else value  # NaN compares with nothing
    if isinstance(value, str) and 0 < len(value) <= 64:
        try:
            number = float(value)
        except ValueError:
            return None
        if number != number:
            return None
        try:
            return int(value)
        except ValueError:
            return number
    return None


def _compare(a: Any, b: Any, op: Callable[[Any, Any], bool]) -> bool:
    if a is MISSING or a is None or b is None:
        return False
    if isinstance(a, str) and isinstance(b, str):
        return bool(op(a.lower(), b))
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return False
    try:
        return bool(op(x, y))  # int and float compare exactly in Python, at any size
    except (TypeError, ValueError, OverflowError):
        return False


def _like(actual: Any, pattern: Any) -> bool:
    # Azure Policy's like: '*' is the only wildcard; '?', '[' and ']' are literal characters.
    if not isinstance(actual, str) or not isinstance(pattern, str):
        return False
    return wildcard.like(actual, pattern)


def _is(actual: Any, kind: Any) -> bool:
    return actual is not MISSING and valuetypes.check(kind)(actual)


def operator(name: str, operand: Any) -> Callable[[Any, Any], bool]:
    """(actual, folded operand) -> bool for operator ``name``."""
    table: dict[str, Callable[[Any, Any], bool]] = {
        "equals": _equals,
        "notEquals": _not_equals,
        "in": _in,
        "notIn": _not_in,
        "exists": lambda a, b: (a is not MISSING and a is not None) == bool(b),
        "contains": _contains,
        "notContains": lambda a, b: not _contains(a, b),
        "containsAll": _contains_all,
        "containsAny": _contains_any,
        "like": lambda a, b: _like(a, b),
        "notLike": lambda a, b: not _like(a, b),
        "greater": lambda a, b: _compare(a, b, lambda x, y: x > y),
        "greaterOrEquals": lambda a, b: _compare(a, b, lambda x, y: x >= y),
        "less": lambda a, b: _compare(a, b, lambda x, y: x < y),
        "lessOrEquals": lambda a, b: _compare(a, b, lambda x, y: x <= y),
    }
    if name in ("match", "notMatch"):

        def matches(a: Any, b: Any) -> bool:
            if not isinstance(a, str) or not isinstance(b, str):
                return False
            return wildcard.policy_match(a, b)

        return matches if name == "match" else (lambda a, b: not matches(a, b))
    if name == "is":
        if not isinstance(operand, str) or not operand.startswith("["):
            # an unknown type is a load error, not a silent false; a literal type is looked
            # up once (the folded operand names the same type)
            test = valuetypes.check(operand)
            return lambda a, b: a is not MISSING and test(a)
        return _is
    return table[name]


_EXPECTED = {
    "equals": "{}",
    "notEquals": "not {}",
    "in": "one of {}",
    "notIn": "none of {}",
    "contains": "contains {}",
    "notContains": "does not contain {}",
    "containsAll": "contains all of {}",
    "containsAny": "contains any of {}",
    "like": "like {}",
    "notLike": "not like {}",
    "match": "matches {}",
    "notMatch": "does not match {}",
    "greater": "> {}",
    "greaterOrEquals": ">= {}",
    "less": "< {}",
    "lessOrEquals": "<= {}",
}


def describe_expected(op: str, operand: Any) -> str:
    """Human text for what an operator wants, e.g. ``not true`` or ``one of [a, b]``."""
    shown = show(operand)
    if op == "exists":
        return "present" if operand else "absent"
    if op == "is":
        return valuetypes.describe(operand)
    return _EXPECTED[op].format(shown)


def show(value: Any) -> str:
    if value is MISSING or value is None:
        return "absent"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def display_text(value: Any) -> str:
    """A value as message text, in JSON's spelling: ``true``, ``absent``, ``[a, b]``."""
    return show(value)


def failed_actual(op: str, value: Any, operand: Any) -> Any:
    """What a failing leaf found, as a finding shows it: for ``is``, the value in JSON's
    spelling and what it is not (``"" (not a resource id)``); else :func:`display_actual`."""
    if op != "is" or value is MISSING or value is None:
        return display_actual(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} (not {valuetypes.describe(operand)})"


def display_actual(value: Any) -> Any:
    """The JSON form of an actual value: ``"absent"`` for a missing one."""
    return "absent" if value is MISSING or value is None else value
