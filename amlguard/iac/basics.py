"""What every template function shares: the error type, argument checks, ARM's text form of a
value and ARM's equality."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any


class EvalError(ValueError):
    """An expression that cannot be evaluated (bad arguments, unsupported function)."""


Impl = Callable[[list[Any]], Any]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "int"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _arity(name: str, args: list[Any], least: int, most: int | None = None) -> None:
    if len(args) < least or (most is not None and len(args) > most):
        want = f"{least}" if most == least else f"{least}..{most if most is not None else 'n'}"
        raise EvalError(f"{name}() takes {want} argument(s), got {len(args)}")


def _str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise EvalError(f"{name}() expects a string, got {_kind(value)}")
    return value


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise EvalError(f"{name}() expects an integer, got {_kind(value)}")
    return int(value)


def to_text(value: Any) -> str:
    """``string()``: .NET spelling for booleans, compact JSON for objects and arrays."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


def deep_equals(a: Any, b: Any) -> bool:
    """ARM ``equals``: deep, type-strict, case-sensitive strings, object keys case-insensitive."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(deep_equals(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        la = {str(k).lower(): v for k, v in a.items()}
        lb = {str(k).lower(): v for k, v in b.items()}
        return la.keys() == lb.keys() and all(deep_equals(la[k], lb[k]) for k in la)
    return type(a) is type(b) and a == b
