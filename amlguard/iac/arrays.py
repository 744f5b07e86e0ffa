"""ARM's array and object functions (``union`` merges nested objects, ``items`` sorts by key)."""

from __future__ import annotations

from typing import Any

from amlguard.iac.basics import EvalError, _arity, _int, _kind, _str, deep_equals


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge(out[k], v) if k in out else v
        return out
    return b


def fn_union(args: list[Any]) -> Any:
    """ARM ``union()``."""
    _arity("union", args, 1)
    if all(isinstance(a, dict) or a is None for a in args):
        out: dict[str, Any] = {}
        for a in args:
            out = _merge(out, a or {})
        return out
    if all(isinstance(a, list) or a is None for a in args):
        items: list[Any] = []
        for a in args:
            for x in a or []:
                if not any(deep_equals(x, y) for y in items):
                    items.append(x)
        return items
    raise EvalError("union() expects all objects or all arrays")


def fn_intersection(args: list[Any]) -> Any:
    """ARM ``intersection()``."""
    _arity("intersection", args, 2)
    if all(isinstance(a, dict) for a in args):
        first = args[0]
        return {
            k: v for k, v in first.items() if all(k in o and deep_equals(o[k], v) for o in args[1:])
        }
    if all(isinstance(a, list) for a in args):
        out: list[Any] = []
        for x in args[0]:
            if all(any(deep_equals(x, y) for y in o) for o in args[1:]) and not any(
                deep_equals(x, y) for y in out
            ):
                out.append(x)
        return out
    raise EvalError("intersection() expects all objects or all arrays")


def fn_shallow_merge(args: list[Any]) -> dict[str, Any]:
    """ARM ``shallowMerge()``."""
    _arity("shallowMerge", args, 1, 1)
    out: dict[str, Any] = {}
    for item in args[0] or []:
        if isinstance(item, dict):
            out.update(item)
    return out


def fn_create_object(args: list[Any]) -> dict[str, Any]:
    """ARM ``createObject()``."""
    if len(args) % 2:
        raise EvalError("createObject() takes key/value pairs")
    return {_str("createObject", args[i]): args[i + 1] for i in range(0, len(args), 2)}


def fn_range(args: list[Any]) -> list[int]:
    """ARM ``range()``."""
    _arity("range", args, 2, 2)
    start, count = _int("range", args[0]), _int("range", args[1])
    if count < 0 or count > 100_000:
        raise EvalError(f"range(): count {count} is out of bounds (0..100000)")
    return list(range(start, start + count))


def fn_take(args: list[Any]) -> Any:
    """ARM ``take()``."""
    _arity("take", args, 2, 2)
    n = max(0, _int("take", args[1]))
    return args[0][:n] if args[0] is not None else None


def fn_skip(args: list[Any]) -> Any:
    """ARM ``skip()``."""
    _arity("skip", args, 2, 2)
    n = max(0, _int("skip", args[1]))
    return args[0][n:] if args[0] is not None else None


def fn_first(args: list[Any]) -> Any:
    """ARM ``first()``."""
    _arity("first", args, 1, 1)
    v = args[0]
    return v[0] if v else ("" if isinstance(v, str) else None)


def fn_last(args: list[Any]) -> Any:
    """ARM ``last()``."""
    _arity("last", args, 1, 1)
    v = args[0]
    return v[-1] if v else ("" if isinstance(v, str) else None)


def fn_items(args: list[Any]) -> list[dict[str, Any]]:
    """ARM ``items()``."""
    _arity("items", args, 1, 1)
    if not isinstance(args[0], dict):
        raise EvalError(f"items() expects an object, got {_kind(args[0])}")
    return [{"key": k, "value": args[0][k]} for k in sorted(args[0], key=str.lower)]


def fn_try_get(args: list[Any]) -> Any:
    """ARM ``tryGet()``."""
    _arity("tryGet", args, 2)
    cur = args[0]
    for key in args[1:]:
        if isinstance(cur, dict) and isinstance(key, str):
            low = key.lower()
            cur = next((v for k, v in cur.items() if k.lower() == low), None)
        elif isinstance(cur, list) and isinstance(key, int) and 0 <= key < len(cur):
            cur = cur[key]
        else:
            return None
    return cur


def fn_flatten(args: list[Any]) -> list[Any]:
    """ARM ``flatten()``."""
    _arity("flatten", args, 1, 1)
    out: list[Any] = []
    for x in args[0] or []:
        out.extend(x if isinstance(x, list) else [x])
    return out
