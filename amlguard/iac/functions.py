"""ARM template functions that only need their argument values (string, array, logic, numbers).

Each takes the evaluated arguments and returns a value, with ARM's documented behaviour:
string comparisons in ``equals`` are case-sensitive, ``startsWith``/``endsWith``/``indexOf``
are not; ``format`` and ``string`` spell booleans ``True``/``False`` (.NET); ``div`` is integer
division; ``union`` merges nested objects; ``items`` sorts by key. Functions that need the
deployment, the scope or unevaluated arguments live in :mod:`amlguard.iac.evaluator`.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from amlguard.iac.arrays import (
    fn_create_object,
    fn_first,
    fn_flatten,
    fn_intersection,
    fn_items,
    fn_last,
    fn_range,
    fn_shallow_merge,
    fn_skip,
    fn_take,
    fn_try_get,
    fn_union,
)
from amlguard.iac.basics import (
    EvalError,
    Impl,
    _arity,
    _int,
    _kind,
    _str,
    deep_equals,
    to_text,
)
from amlguard.iac.hashing import arm_guid, unique_string

__all__ = ["PURE", "STRUCTURAL", "EvalError", "deep_equals", "fn_bool", "to_text"]


_MAX_PAD = 100_000  # a hostile template must not make amlguard build gigabyte strings
_FORMAT = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


def fn_format(args: list[Any]) -> str:
    """ARM ``format()``."""
    _arity("format", args, 1)
    fmt = _str("format", args[0])
    values = args[1:]

    def sub(m: re.Match[str]) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        i = int(m.group(1))
        if i >= len(values):
            raise EvalError(f"format(): no argument for {{{i}}}")
        value, spec = values[i], m.group(3)
        if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
            if spec.upper().startswith("N"):
                digits = int(spec[1:] or 2)
                return f"{value:,.{digits}f}"
            if spec.upper().startswith("D"):
                return str(int(value)).zfill(int(spec[1:] or 0))
            if spec.upper().startswith("X"):
                return format(int(value), "x" if spec[0] == "x" else "X").zfill(int(spec[1:] or 0))
        text = to_text(value)
        width = m.group(2)
        if width:
            w = int(width)
            if abs(w) > _MAX_PAD:
                raise EvalError(f"format(): width {w} is out of bounds")
            text = text.rjust(w) if w > 0 else text.ljust(-w)
        return text

    return _FORMAT.sub(sub, fmt)


def fn_concat(args: list[Any]) -> Any:
    """ARM ``concat()``."""
    if args and all(isinstance(a, list) or a is None for a in args):
        out: list[Any] = []
        for a in args:
            out.extend(a or [])
        return out
    return "".join(to_text(a) for a in args)


def fn_empty(args: list[Any]) -> bool:
    """ARM ``empty()``."""
    _arity("empty", args, 1, 1)
    v = args[0]
    return v is None or (isinstance(v, (str, list, dict)) and len(v) == 0)


def fn_length(args: list[Any]) -> int:
    """ARM ``length()``."""
    _arity("length", args, 1, 1)
    v = args[0]
    if isinstance(v, (str, list, dict)):
        return len(v)
    if v is None:
        return 0
    raise EvalError(f"length() expects a string, array or object, got {_kind(v)}")


def fn_contains(args: list[Any]) -> bool:
    """ARM ``contains()``."""
    _arity("contains", args, 2, 2)
    container, item = args
    if isinstance(container, str):
        return to_text(item) in container
    if isinstance(container, list):
        return any(deep_equals(x, item) for x in container)
    if isinstance(container, dict):
        return isinstance(item, str) and item.lower() in {str(k).lower() for k in container}
    if container is None:
        return False
    raise EvalError(f"contains() expects a string, array or object, got {_kind(container)}")


def fn_substring(args: list[Any]) -> str:
    """ARM ``substring()``."""
    _arity("substring", args, 2, 3)
    s = _str("substring", args[0])
    start = _int("substring", args[1])
    length = _int("substring", args[2]) if len(args) > 2 else len(s) - start
    if start < 0 or length < 0 or start + length > len(s):
        raise EvalError(
            f"substring(): start {start} and length {length} are outside the {len(s)} characters"
        )
    return s[start : start + length]


def fn_split(args: list[Any]) -> list[str]:
    """ARM ``split()``."""
    _arity("split", args, 2, 2)
    s = _str("split", args[0])
    seps = args[1] if isinstance(args[1], list) else [args[1]]
    pattern = "|".join(re.escape(_str("split", x)) for x in seps)
    return re.split(pattern, s) if pattern else [s]


def fn_replace(args: list[Any]) -> str:
    """ARM ``replace()``."""
    _arity("replace", args, 3, 3)
    return _str("replace", args[0]).replace(_str("replace", args[1]), _str("replace", args[2]))


def fn_join(args: list[Any]) -> str:
    """ARM ``join()``."""
    _arity("join", args, 2, 2)
    if not isinstance(args[0], list):
        raise EvalError(f"join() expects an array, got {_kind(args[0])}")
    return _str("join", args[1]).join(to_text(x) for x in args[0])


def fn_index_of(args: list[Any], last: bool = False) -> int:
    """ARM ``indexOf()``."""
    _arity("indexOf", args, 2, 2)
    container, item = args
    if isinstance(container, list):
        hits = [i for i, x in enumerate(container) if deep_equals(x, item)]
        return (hits[-1] if last else hits[0]) if hits else -1
    s, sub = _str("indexOf", container).lower(), to_text(item).lower()
    return s.rfind(sub) if last else s.find(sub)


def fn_pad_left(args: list[Any]) -> str:
    """ARM ``padLeft()``."""
    _arity("padLeft", args, 2, 3)
    pad = _str("padLeft", args[2]) if len(args) > 2 else " "
    total = _int("padLeft", args[1])
    if total > _MAX_PAD:
        raise EvalError(f"padLeft(): length {total} is out of bounds")
    return to_text(args[0]).rjust(total, pad[:1] or " ")


def _compare(name: str, args: list[Any], op: Callable[[Any, Any], bool]) -> bool:
    _arity(name, args, 2, 2)
    a, b = args
    if isinstance(a, str) and isinstance(b, str):
        return op(a, b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return op(a, b)
    raise EvalError(f"{name}() compares two integers or two strings, got {_kind(a)}, {_kind(b)}")


def _numbers(name: str, args: list[Any]) -> list[Any]:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not values:
        raise EvalError(f"{name}() needs at least one value")
    return values


def fn_bool(args: list[Any]) -> bool:
    """ARM ``bool()``."""
    _arity("bool", args, 1, 1)
    v = args[0]
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    if isinstance(v, (int, float)):
        return v != 0
    raise EvalError(f"bool() cannot convert {_kind(v)}")


def fn_json(args: list[Any]) -> Any:
    """ARM ``json()``."""
    _arity("json", args, 1, 1)
    try:
        return json.loads(_str("json", args[0]))
    except json.JSONDecodeError as exc:
        raise EvalError(f"json(): invalid JSON: {exc.msg}") from None


def fn_like(args: list[Any]) -> bool:
    """ARM ``like()``."""
    _arity("like", args, 2, 2)
    pattern = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in _str("like", args[1])
    )
    return re.fullmatch(pattern, _str("like", args[0]), re.I | re.S) is not None


def fn_uri(args: list[Any]) -> str:
    """ARM ``uri()``."""
    _arity("uri", args, 2, 2)
    return urllib.parse.urljoin(_str("uri", args[0]), _str("uri", args[1]))


def _b64(args: list[Any]) -> str:
    return base64.b64encode(_str("base64", args[0]).encode()).decode()


def _b64_text(args: list[Any]) -> str:
    try:
        return base64.b64decode(_str("base64ToString", args[0])).decode()
    except (ValueError, UnicodeDecodeError):
        raise EvalError("base64ToString(): not valid base64 text") from None


def _div(args: list[Any]) -> int:
    a, b = _int("div", args[0]), _int("div", args[1])
    if b == 0:
        raise EvalError("div(): division by zero")
    return int(a / b)


def _mod(args: list[Any]) -> int:
    a, b = _int("mod", args[0]), _int("mod", args[1])
    if b == 0:
        raise EvalError("mod(): division by zero")
    return a - b * int(a / b)


def _strings(name: str, args: list[Any]) -> list[str]:
    _arity(name, args, 1)
    return [_str(name, a) for a in args]


PURE: dict[str, Impl] = {
    "format": fn_format,
    "concat": fn_concat,
    "string": lambda a: to_text(a[0]),
    "tolower": lambda a: _str("toLower", a[0]).lower(),
    "toupper": lambda a: _str("toUpper", a[0]).upper(),
    "trim": lambda a: _str("trim", a[0]).strip(),
    "substring": fn_substring,
    "replace": fn_replace,
    "split": fn_split,
    "join": fn_join,
    "startswith": lambda a: _str("startsWith", a[0]).lower().startswith(to_text(a[1]).lower()),
    "endswith": lambda a: _str("endsWith", a[0]).lower().endswith(to_text(a[1]).lower()),
    "indexof": fn_index_of,
    "lastindexof": lambda a: fn_index_of(a, last=True),
    "padleft": fn_pad_left,
    "guid": lambda a: arm_guid(*_strings("guid", a)),
    "uniquestring": lambda a: unique_string(*_strings("uniqueString", a)),
    "base64": _b64,
    "base64tostring": _b64_text,
    "uri": fn_uri,
    "uricomponent": lambda a: urllib.parse.quote(_str("uriComponent", a[0]), safe=""),
    "uricomponenttostring": lambda a: urllib.parse.unquote(_str("uriComponentToString", a[0])),
    "empty": fn_empty,
    "length": fn_length,
    "contains": fn_contains,
    "union": fn_union,
    "intersection": fn_intersection,
    "shallowmerge": fn_shallow_merge,
    "createarray": lambda a: list(a),
    "createobject": fn_create_object,
    "array": lambda a: a[0] if isinstance(a[0], list) else [a[0]],
    "range": fn_range,
    "take": fn_take,
    "skip": fn_skip,
    "first": fn_first,
    "last": fn_last,
    "flatten": fn_flatten,
    "items": fn_items,
    "objectkeys": lambda a: list(a[0]) if isinstance(a[0], dict) else [],
    "tryget": fn_try_get,
    "distinct": lambda a: fn_union([a[0] or []]),
    "equals": lambda a: len(a) == 2 and deep_equals(a[0], a[1]),
    "not": lambda a: not fn_bool(a),
    "bool": fn_bool,
    "true": lambda a: True,
    "false": lambda a: False,
    "null": lambda a: None,
    "json": fn_json,
    "int": lambda a: _int("int", a[0]),
    "float": lambda a: float(a[0]),
    "add": lambda a: _int("add", a[0]) + _int("add", a[1]),
    "sub": lambda a: _int("sub", a[0]) - _int("sub", a[1]),
    "mul": lambda a: _int("mul", a[0]) * _int("mul", a[1]),
    "div": _div,
    "mod": _mod,
    "min": lambda a: min(_numbers("min", a)),
    "max": lambda a: max(_numbers("max", a)),
    "less": lambda a: _compare("less", a, lambda x, y: x < y),
    "lessorequals": lambda a: _compare("lessOrEquals", a, lambda x, y: x <= y),
    "greater": lambda a: _compare("greater", a, lambda x, y: x > y),
    "greaterorequals": lambda a: _compare("greaterOrEquals", a, lambda x, y: x >= y),
    "like": fn_like,
}

#: functions that build containers: an unknown argument becomes an element, not the result
STRUCTURAL = frozenset({"createarray", "createobject", "array", "shallowmerge"})
