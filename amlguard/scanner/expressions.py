"""Bracket expressions in rule values, as in Azure Policy: ``"[parameters('allowed_modes')]"``.

Grammar (deliberately small)::

    expr    := call ( '.' name | '[' integer ']' )*
    call    := name '(' [ arg ( ',' arg )* ] ')'
    arg     := 'string' | number | true | false | null | expr

Functions are registered in :mod:`amlguard.scanner.primitives`. A string that does not start
with ``[`` (or starts with ``[[``, the escape) is a literal.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from amlguard.registry import Registry
from amlguard.scanner.context import EvalContext
from amlguard.scanner.paths import MISSING, get_key

Evaluator = Callable[[EvalContext], Any]
FunctionImpl = Callable[..., Any]

#: ``[name(...)]`` expression functions, by name (see :mod:`amlguard.registry`)
FUNCTIONS: Registry[FunctionImpl] = Registry("expression function")


#: How deeply function calls may nest in one expression.
MAX_DEPTH = 32


class ExpressionError(ValueError):
    """An expression that does not parse or names an unknown function."""


def function(name: str) -> Callable[[FunctionImpl], FunctionImpl]:
    """Register ``name`` as an expression function taking (ctx, *args)."""

    def register(impl: FunctionImpl) -> FunctionImpl:
        return FUNCTIONS.register(name, impl)

    return register


_BINDER = "_amlguard_binder"
#: on an evaluator: ``fuse(name)`` makes the evaluator of ``[<it>.name]`` in one frame (the
#: same value, the same errors as :func:`_member` over it); see :func:`fuses_member`
_MEMBER = "_amlguard_member"
#: on a ``parameters('x')`` evaluator: ``x`` (callers may read ``ctx.params`` themselves)
PARAMETER = "_amlguard_parameter"


def fuses_member(ev: Evaluator, fuse: Callable[[str], Evaluator]) -> Evaluator:
    """Mark ``ev`` (a bound function call) as one whose ``.name`` members ``fuse(name)``
    evaluates without calling ``ev`` first: ``current('pe').status`` runs per count item."""
    setattr(ev, _MEMBER, fuse)
    return ev


def binds(binder: Callable[..., Evaluator]) -> Callable[[FunctionImpl], FunctionImpl]:
    """Give an expression function a faster form for literal arguments: ``binder(*args)``
    returns the evaluator of ``impl(ctx, *args)`` (the same value, the same errors), made once
    when the rule is compiled. ``current('pe')`` and ``parameters('x')`` run per item."""

    def mark(impl: FunctionImpl) -> FunctionImpl:
        setattr(impl, _BINDER, binder)
        return impl

    return mark


def is_expression(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("[")
        and value.endswith("]")
        and not value.startswith("[[")
    )


def compile_value(value: Any) -> Evaluator:
    """An evaluator for a literal or a bracket expression."""
    if is_expression(value):
        return _Parser(value[1:-1]).parse()
    if isinstance(value, str) and value.startswith("[["):
        return _literal(value[1:])
    return _literal(value)


_LITERAL = "_amlguard_literal"


def _literal(value: Any) -> Evaluator:
    """An evaluator that always gives ``value`` (marked, so a call can bind it once)."""

    def ev(ctx: EvalContext) -> Any:
        return value

    setattr(ev, _LITERAL, (value,))
    return ev


def literal_of(ev: Evaluator) -> tuple[Any] | None:
    """``(value,)`` when ``ev`` is a literal's evaluator, else None."""
    found: tuple[Any] | None = getattr(ev, _LITERAL, None)
    return found


_TOKENS = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>[(),.\[\]]))"
)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKENS.match(text, pos)
            if not m:
                raise ExpressionError(f"cannot parse expression [{text}] at position {pos}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (expected is not None and tok[1] != expected):
            want = expected or "more input"
            raise ExpressionError(f"expected {want!r} in expression [{self.text}]")
        self.i += 1
        return tok

    def parse(self) -> Evaluator:
        ev = self.expr()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in expression [{self.text}]")  # type: ignore[index]
        return ev

    def expr(self) -> Evaluator:
        self.depth += 1
        try:
            return self._expr()
        finally:
            self.depth -= 1

    def _expr(self) -> Evaluator:
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"expression nested more than {MAX_DEPTH} calls deep: [{self.text[:40]}...]"
            )
        kind, name = self.take()
        if kind != "name":
            raise ExpressionError(f"expected a function name in expression [{self.text}]")
        impl = FUNCTIONS.get_loaded(name)
        if impl is None:
            known = ", ".join(FUNCTIONS.names())
            raise ExpressionError(f"unknown function {name!r} in [{self.text}] (known: {known})")
        self.take("(")
        args: list[Evaluator] = []
        if self.peek() and self.peek()[1] != ")":  # type: ignore[index]
            args.append(self.arg())
            while self.peek() and self.peek()[1] == ",":  # type: ignore[index]
                self.take(",")
                args.append(self.arg())
        self.take(")")
        _check_arity(name, impl, len(args), self.text)
        ev = _call(impl, args)
        while self.peek() and self.peek()[1] in (".", "["):  # type: ignore[index]
            if self.take()[1] == ".":
                kind, member = self.take()
                if kind != "name":
                    raise ExpressionError(f"expected a property name in [{self.text}]")
                ev = _member(ev, member)
            else:
                kind, index = self.take()
                if kind != "num":
                    raise ExpressionError(f"expected an index in [{self.text}]")
                self.take("]")
                ev = _index(ev, int(index))
        return ev

    def arg(self) -> Evaluator:
        kind, text = self.peek() or ("", "")
        if kind == "str":
            self.take()
            return _literal(text[1:-1].replace("''", "'"))
        if kind == "num":
            self.take()
            return _literal(float(text) if "." in text else int(text))
        if kind == "name" and text.lower() in ("true", "false", "null"):
            self.take()
            return _literal({"true": True, "false": False, "null": None}[text.lower()])
        return self.expr()


#: (function, argument count) pairs :func:`_check_arity` has accepted: a pack calls the same
#: few functions ~150 times, and ``inspect.signature`` was a fifth of loading it.
_ARITY_OK: set[tuple[FunctionImpl, int]] = set()


def _check_arity(name: str, impl: FunctionImpl, count: int, text: str) -> None:
    """A wrong number of arguments is a load error, not a TypeError on every resource."""
    if (impl, count) in _ARITY_OK:
        return
    try:
        inspect.signature(impl).bind(None, *([None] * count))
        _ARITY_OK.add((impl, count))
    except TypeError:
        params = list(inspect.signature(impl).parameters.values())[1:]
        required = sum(1 for p in params if p.default is inspect.Parameter.empty)
        wanted = str(required) if required == len(params) else f"{required} to {len(params)}"
        raise ExpressionError(
            f"{name}() takes {wanted} argument(s), got {count}, in expression [{text}]"
        ) from None


def _call(impl: FunctionImpl, args: list[Evaluator]) -> Evaluator:
    # Rules call functions with zero or one argument almost always: skip the list building.
    if not args:  # the function itself is its evaluator (``instance()``): no extra frame
        return impl
    literals = [literal_of(a) for a in args]
    if all(lit is not None for lit in literals):  # current('pe'), parameters('x'): bound once
        values = [lit[0] for lit in literals if lit is not None]
        binder = getattr(impl, _BINDER, None)
        if binder is not None:
            bound: Evaluator = binder(*values)
            return bound
        if len(values) == 1:
            (value,) = values
            return lambda ctx: impl(ctx, value)
        return lambda ctx: impl(ctx, *values)
    if len(args) == 1:
        (only,) = args
        return lambda ctx: impl(ctx, only(ctx))
    return lambda ctx: impl(ctx, *[a(ctx) for a in args])


def _member(inner: Evaluator, name: str) -> Evaluator:
    fuse = getattr(inner, _MEMBER, None)
    if fuse is not None:
        fused: Evaluator = fuse(name)
        return fused

    def ev(ctx: EvalContext) -> Any:
        value = inner(ctx)
        # get_key's exact-spelling hit on a plain dict, without the call (the usual case)
        out = value.get(name, MISSING) if type(value) is dict else MISSING
        if out is MISSING:
            out = get_key(value, name)
        return MISSING if out is None else out

    return ev


def _index(inner: Evaluator, index: int) -> Evaluator:
    def ev(ctx: EvalContext) -> Any:
        value = inner(ctx)
        if isinstance(value, list) and -len(value) <= index < len(value):
            return value[index]
        return MISSING

    return ev
