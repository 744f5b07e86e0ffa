"""The two halves of a leaf condition that read values: a ``field`` path's getter (honouring
field-count scopes) and an operator's right-hand side (folded once when it is a literal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from amlguard.scanner import paths
from amlguard.scanner.context import EvalContext
from amlguard.scanner.expressions import compile_value, is_expression
from amlguard.scanner.operators import fold

Getter = Callable[[EvalContext], tuple[Any, bool]]


def operand(raw: Any) -> tuple[Callable[[EvalContext], Any], Callable[[EvalContext], Any]]:
    """(folded right-hand side, right-hand side as written); literals are folded once."""
    ev = compile_value(raw)
    if is_expression(raw):
        return (lambda ctx: fold(ev(ctx))), ev
    literal = ev(None)  # type: ignore[arg-type]
    folded = fold(literal)
    return (lambda ctx: folded), (lambda ctx: literal)


#: a scope prefix that is not a prefix of the getter's path
_OUTSIDE: Any = object()


def field_getter(path: str) -> tuple[Getter, str]:
    """A getter returning (value, is_array) for ``field: path`` honouring field-count scopes."""
    segments = paths.compile_path(path)
    lowered = tuple(s.lower() if isinstance(s, str) else s for s in segments)
    wildcard = paths.has_wildcard(segments)
    # Inside a field count, the path read relative to each enclosing scope's element: the
    # scopes are the counts' compiled paths, so the rest of the path is worked out once each.
    relative: dict[tuple[Any, ...], Any] = {}

    def within(prefix: tuple[Any, ...]) -> Any:
        if lowered[: len(prefix)] != prefix:
            found = _OUTSIDE
        else:
            rest = segments[len(prefix) :]
            found = (rest, paths.has_wildcard(rest))
        relative[prefix] = found
        return found

    def getter(ctx: EvalContext) -> tuple[Any, bool]:
        if not ctx.field_scopes:  # the common case: a path from the resource itself
            if wildcard:
                return paths.resolve_all(ctx.resource, segments), True
            return paths.resolve(ctx.resource, segments), False
        for prefix, element in reversed(ctx.field_scopes):
            found = relative.get(prefix)
            if found is None:
                found = within(prefix)
            if found is not _OUTSIDE:
                rest, wild = found
                if wild:
                    return paths.resolve_all(element, rest), True
                return paths.resolve(element, rest), False
        if wildcard:
            return paths.resolve_all(ctx.resource, segments), True
        return paths.resolve(ctx.resource, segments), False

    return getter, paths.format_path(segments)
