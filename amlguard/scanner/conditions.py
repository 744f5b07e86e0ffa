"""Conditions in Azure Policy's vocabulary, compiled once into fast closures.

``allOf``/``anyOf``/``not``; a leaf is ``field``, ``value`` or ``count`` plus one operator.
String comparisons are case-insensitive; an absent value is a value (it fails ``equals``).
A ``field`` path with ``[*]`` outside a count is true only when every item satisfies it (Azure
Policy's array-alias rule). Inside a field count's ``where``, a path that starts with the counted
path refers to the current item; ``related`` counts call a named primitive of
:mod:`amlguard.scanner.primitives`.

A compiled condition is ``cond(ctx, trace) -> bool``. ``trace`` is ``None`` on the fast path;
when a rule fails, it is evaluated again with a list that collects :class:`Explanation`
records, so only failures pay for the explanation.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import eq, ge, gt, le, lt, ne
from typing import Any

from amlguard.registry import Registry
from amlguard.scanner import paths
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.expressions import compile_value, is_expression, literal_of
from amlguard.scanner.fieldget import field_getter as _field_getter
from amlguard.scanner.fieldget import operand as _operand
from amlguard.scanner.leaftypes import guard as _guard
from amlguard.scanner.leaftypes import malformed as _malformed
from amlguard.scanner.operators import (
    OPERATORS,
    describe_expected,
    display_actual,
    failed_actual,
    operator,
)
from amlguard.scanner.paths import MISSING
from amlguard.scanner.relatedcall import label as _label
from amlguard.scanner.relatedcall import positional_call as _positional_call
from amlguard.scanner.unknown import Unknown, UnknownValue, first_unknown

Trace = list["Explanation"] | None
Condition = Callable[[EvalContext, Trace], bool]
RelatedSource = Callable[..., list[Any]]

#: ``count: {related: NAME}`` sources, by name (see :mod:`amlguard.registry`)
RELATED: Registry[RelatedSource] = Registry("related source")


def related_source(name: str) -> Callable[[RelatedSource], RelatedSource]:
    """Register a primitive that ``count: {related: NAME}`` iterates; called as (ctx, **with)."""

    def register(impl: RelatedSource) -> RelatedSource:
        return RELATED.register(name, impl)

    return register


class ConditionError(ValueError):
    """A condition that is not well formed (the schema catches most; this catches the rest)."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a leaf failed: where it looked, what it wanted, what it found."""

    path: str | None
    expected: str
    actual: Any
    offenders: tuple[Any, ...] = ()


def _describe_count(op: str, operand: Any, source: str) -> str:
    if op == "equals" and operand == 0:
        return f"no {source} item matching the condition"
    if op in ("greaterOrEquals", "greater"):
        least = operand if op == "greaterOrEquals" else f"more than {operand}"
        return f"at least {least} {source} item(s) matching the condition"
    return f"count of {source} items matching the condition {describe_expected(op, operand)}"


#: The most count items one evaluation of a rule's condition (or ``where``) may visit. Nested
#: counts multiply: three nested counts over 100 items each are 1,000,000 steps. A rule that
#: needs more fails as ``error`` with a clear reason instead of running for hours.
WORK_BOUND = 100_000
#: How deeply allOf/anyOf/not and counts may nest.
MAX_DEPTH = 32


def compile_condition(node: Mapping[str, Any]) -> Condition:
    """Compile one condition mapping (already schema-valid) into a closure.

    Each evaluation starts a fresh work budget of :data:`WORK_BOUND` count items.
    """
    # A count or allOf at the top starts the budget itself: one frame less per judgement.
    if _is_count(node):
        return _count_leaf(node["count"], _operator_of(node), node[_operator_of(node)], 0, True)
    if isinstance(node, Mapping) and "allOf" in node:
        return _all_of([_compile(c, 1) for c in node["allOf"]], root=True)
    inner = _compile(node, 0)

    def root(ctx: EvalContext, trace: Trace) -> bool:
        ctx.work = 0
        return inner(ctx, trace)

    return root


def _is_count(node: Any) -> bool:
    """Whether ``node`` is a well-formed count leaf that :func:`_compile` would compile as one."""
    if not isinstance(node, Mapping) or any(k in node for k in ("allOf", "anyOf", "not")):
        return False
    ops = [k for k in node if k in OPERATORS]
    return len(ops) == 1 and "count" in node and (ops[0] != "is" or is_expression(node[ops[0]]))


def _operator_of(node: Mapping[str, Any]) -> str:
    return next(k for k in node if k in OPERATORS)


def _over_budget(ctx: EvalContext) -> None:
    raise Undeterminable(
        f"the rule's evaluation exceeded its work bound ({WORK_BOUND:,} count items visited; "
        "nested counts multiply): simplify the rule's counts"
    )


def _compile(node: Mapping[str, Any], depth: int, negated: bool = False) -> Condition:
    # ``negated``: under an odd number of ``not``s, where a value that matches nothing passes
    if depth > MAX_DEPTH:
        raise ConditionError(f"conditions nested more than {MAX_DEPTH} levels deep")
    if not isinstance(node, Mapping):
        raise ConditionError(f"a condition must be a mapping, got {type(node).__name__}")
    if "allOf" in node:
        return _all_of([_compile(c, depth + 1, negated) for c in node["allOf"]])
    if "anyOf" in node:
        return _any_of([_compile(c, depth + 1, negated) for c in node["anyOf"]])
    if "not" in node:
        return _not(_compile(node["not"], depth + 1, not negated))
    ops = [k for k in node if k in OPERATORS]
    if len(ops) != 1:
        raise ConditionError(f"a leaf condition needs exactly one operator, found {ops or 'none'}")
    op = ops[0]
    if op == "is" and not is_expression(node[op]):
        try:
            operator(op, node[op])
        except ValueError as exc:
            raise ConditionError(str(exc)) from None
    if "count" in node:
        return _count_leaf(node["count"], op, node[op], depth)
    if "field" in node:
        return _field_leaf(str(node["field"]), op, node[op], negated)
    if "value" in node:
        return _value_leaf(node["value"], op, node[op], negated)
    raise ConditionError("a leaf condition needs 'field', 'value' or 'count'")


def _all_of(children: list[Condition], root: bool = False) -> Condition:
    # Plain loops, not all()/any() over a generator: these run for every resource judged.
    # A child that reads a value unknown before deployment (templates) leaves the answer to
    # the others: a false one still decides (Kleene logic), else the unknown is raised.
    # Explaining a failure (``trace``) evaluates every child, so the finding names what each
    # failing one found, not only the first's (a later branch's new drift is not "the same
    # failure"); a child that cannot be judged then still makes the finding ``error``.
    def cond(ctx: EvalContext, trace: Trace) -> bool:
        if root:  # the rule's whole condition: a fresh work budget (compile_condition)
            ctx.work = 0
        unknown = None
        failed = False
        for child in children:
            try:
                if not child(ctx, trace):
                    if trace is None:
                        return False
                    failed = True
            except UnknownValue as exc:
                unknown = unknown or exc
        if failed:
            return False
        if unknown is not None:
            raise unknown
        return True

    return cond


def _any_of(children: list[Condition]) -> Condition:
    def cond(ctx: EvalContext, trace: Trace) -> bool:
        unknown = None
        local: list[Explanation] | None = None if trace is None else []
        first = 0  # how many explanations the first explaining alternative gave
        for child in children:
            try:
                if child(ctx, local):
                    return True
            except UnknownValue as exc:  # a true alternative still decides (see _all_of)
                unknown = unknown or exc
            if local and not first:
                first = len(local)
        if unknown is not None:
            raise unknown
        if trace is not None and local:
            trace.extend(local[:first])  # the first alternative is the one a reader expects
        return False

    return cond


def _not(child: Condition) -> Condition:
    def cond(ctx: EvalContext, trace: Trace) -> bool:
        if not child(ctx, None):
            return True
        if trace is not None:
            trace.append(Explanation(None, "the negated condition to be false", "it is true"))
        return False

    return cond


def _field_leaf(path: str, op: str, raw: Any, negated: bool = False) -> Condition:
    getter, shown = _field_getter(path)
    test = operator(op, raw)
    operand, written = _operand(raw)
    constant = not is_expression(raw)  # a literal operand is folded once, at compile time
    folded = operand(None) if constant else None  # type: ignore[arg-type]

    judges_unknown = op != "exists"  # an unknown value is still a value that exists
    typed = _guard(op, raw, negated)  # a literal boolean/enum operand reads only that JSON type
    segments = paths.compile_path(path)
    if not paths.has_wildcard(segments):
        # No [*]: never an array, even inside a field count (the rest of a path without a
        # wildcard has none either); the resource's own path read without the getter.
        resolve = paths.resolve

        def scalar(ctx: EvalContext, trace: Trace) -> bool:
            actual = getter(ctx)[0] if ctx.field_scopes else resolve(ctx.resource, segments)
            if judges_unknown and type(actual) is Unknown:
                raise UnknownValue(actual)
            if typed is not None and (bad := typed(actual)) is not None:
                raise _malformed(bad, ctx.resource, shown)
            b = folded if constant else operand(ctx)
            ok = test(actual, b)
            if not ok and trace is not None:
                found = failed_actual(op, actual, b)
                trace.append(Explanation(shown, describe_expected(op, written(ctx)), found))
            return ok

        return scalar

    def cond(ctx: EvalContext, trace: Trace) -> bool:
        actual, is_array = getter(ctx)
        if judges_unknown:  # a scalar costs one type check; only template rows hold Unknowns
            if type(actual) is Unknown:
                raise UnknownValue(actual)
            if is_array and Unknown.made and (unknown := first_unknown(actual)) is not None:
                raise UnknownValue(unknown)  # (no Unknown made in this process: none in a list)
        if typed is not None:
            for a in actual if is_array else (actual,):
                if (bad := typed(a)) is not None:
                    raise _malformed(bad, ctx.resource, shown)
        b = folded if constant else operand(ctx)
        ok = all(test(a, b) for a in actual) if is_array else test(actual, b)
        if not ok and trace is not None:
            if is_array:
                shown_actual = [failed_actual(op, a, b) for a in actual if not test(a, b)]
            else:
                shown_actual = failed_actual(op, actual, b)
            trace.append(Explanation(shown, describe_expected(op, written(ctx)), shown_actual))
        return ok

    return cond


def _value_leaf(raw_value: Any, op: str, raw: Any, negated: bool = False) -> Condition:
    value = compile_value(raw_value)
    test = operator(op, raw)
    operand, written = _operand(raw)
    shown = _shown_value(raw_value)
    # A value computed from one property shows that property's value as what was found.
    reads = None
    if shown is not None and shown != raw_value:
        try:
            reads = _field_getter(shown)[0]
        except paths.PathError:
            shown = raw_value  # the loader reports the bad path inside field()

    judges_unknown = op != "exists"
    typed = _guard(op, raw, negated)  # a literal boolean/enum operand reads only that JSON type
    constant = not is_expression(raw)  # a literal operand is folded once, at compile time
    folded = operand(None) if constant else None  # type: ignore[arg-type]

    def cond(ctx: EvalContext, trace: Trace) -> bool:
        actual = value(ctx)
        if judges_unknown:  # a scalar costs one type check; only template rows hold Unknowns
            if type(actual) is Unknown:
                raise UnknownValue(actual)
            if (
                type(actual) is list
                and Unknown.made  # none made in this process (a snapshot): none in the list
                and (unknown := first_unknown(actual)) is not None
            ):
                raise UnknownValue(unknown)
        if typed is not None and (bad := typed(actual)) is not None:
            raise _malformed(bad, ctx.resource, shown if shown is not None else str(raw_value))
        b = folded if constant else operand(ctx)
        ok = test(actual, b)
        if not ok and trace is not None:
            found = display_actual(reads(ctx)[0]) if reads is not None else None
            if reads is None:
                found = failed_actual(op, actual, b)
            trace.append(Explanation(shown, describe_expected(op, written(ctx)), found))
        return ok

    return cond


def _shown_value(raw_value: Any) -> str | None:
    """Where a value leaf looks, for a finding: the one property path its expression reads
    (``[split(field('identity.type'), ',')]`` looks at ``identity.type``), else the text."""
    if not isinstance(raw_value, str):
        return None
    fields = set(_FIELD_CALL.findall(raw_value)) if is_expression(raw_value) else set()
    if len(fields) == 1:
        return fields.pop().replace("''", "'")
    return raw_value


_FIELD_CALL = re.compile(r"\bfield\(\s*'((?:[^']|'')*)'\s*\)", re.IGNORECASE)


#: no entry (a saved ``current()`` that was not set)
_UNSET: Any = object()

#: a count's operator against a literal int operand: ``_equals``/``_compare`` on two ints
_COUNT_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": eq,
    "notEquals": ne,
    "greater": gt,
    "greaterOrEquals": ge,
    "less": lt,
    "lessOrEquals": le,
}


def _count_leaf(
    spec: Mapping[str, Any], op: str, raw: Any, depth: int, root: bool = False
) -> Condition:
    """A count leaf; ``root``: the rule's whole condition, which starts the work budget."""
    items_of, scope_prefix, shown = _count_source(spec)
    where = _compile(spec["where"], depth + 1) if spec.get("where") else None
    alias = str(spec.get("name") or "")
    test = operator(op, raw)
    operand, written = _operand(raw)

    def matching(ctx: EvalContext) -> list[Any]:
        items = items_of(ctx)
        ctx.work += len(items) + 1
        if ctx.work > WORK_BOUND:
            _over_budget(ctx)
        if where is None:
            return items
        if not items:  # nothing to match: no current() to set and restore
            return []
        matched = []
        currents = ctx.currents
        # Only this count writes these two entries, and every count inside its ``where``
        # puts back what it wrote: restoring them restores the whole mapping.
        saved = currents.get("", _UNSET)
        saved_alias = currents.get(alias, _UNSET) if alias else _UNSET
        try:  # restored even when an unknown value leaves the count (allOf/anyOf go on)
            if scope_prefix is None and alias:
                for item in items:
                    currents[""] = currents[alias] = item
                    if where(ctx, None):
                        matched.append(item)
            elif scope_prefix is None:
                for item in items:
                    currents[""] = item
                    if where(ctx, None):
                        matched.append(item)
            else:
                scopes = ctx.field_scopes
                for item in items:
                    currents[""] = item
                    if alias:
                        currents[alias] = item
                    scopes.append((scope_prefix, item))
                    try:
                        if where(ctx, None):
                            matched.append(item)
                    finally:
                        scopes.pop()
        finally:
            if saved is _UNSET:
                currents.pop("", None)
            else:
                currents[""] = saved
            if alias:
                if saved_alias is _UNSET:
                    currents.pop(alias, None)
                else:
                    currents[alias] = saved_alias
        return matched

    constant = not is_expression(raw)
    folded = operand(None) if constant else None  # type: ignore[arg-type]
    if constant and type(folded) is int and op in _COUNT_TESTS:
        # A count against a literal whole number (nearly every count): what the operator
        # does for two ints (no bool, NaN or text to fold), without its general checks.
        test = _COUNT_TESTS[op]

    def explained(ctx: EvalContext, trace: Trace, matched: list[Any], b: Any) -> bool:
        ok = test(len(matched), b)
        if not ok and trace is not None:
            expected = _describe_count(op, written(ctx), shown)
            trace.append(
                Explanation(shown, expected, len(matched), tuple(_label(m) for m in matched))
            )
        return ok

    if where is None and constant:
        # No item condition and a literal operand (most counts): matching() inline, one frame.
        def plain(ctx: EvalContext, trace: Trace) -> bool:
            items = items_of(ctx)
            ctx.work += len(items) + 1
            if ctx.work > WORK_BOUND:
                _over_budget(ctx)
            ok = test(len(items), folded)
            if ok or trace is None:
                return ok
            return explained(ctx, trace, items, folded)

        if not root:
            return plain

        def plain_root(ctx: EvalContext, trace: Trace) -> bool:
            ctx.work = 0  # a rule's top condition starts the work budget
            return plain(ctx, trace)

        return plain_root

    def cond(ctx: EvalContext, trace: Trace) -> bool:
        matched = matching(ctx)
        b = folded if constant else operand(ctx)
        ok = test(len(matched), b)
        if ok or trace is None:
            return ok
        return explained(ctx, trace, matched, b)

    if not root:
        return cond

    def counted_root(ctx: EvalContext, trace: Trace) -> bool:
        ctx.work = 0  # a rule's top condition starts the work budget
        return cond(ctx, trace)

    return counted_root


def _count_source(
    spec: Mapping[str, Any],
) -> tuple[Callable[[EvalContext], list[Any]], tuple[Any, ...] | None, str]:
    """(items getter, field-scope prefix for field counts, display name)."""
    if "field" in spec:
        segments = paths.compile_path(str(spec["field"]))
        if not segments or segments[-1] != paths.WILDCARD:
            raise ConditionError(f"count.field must end with [*]: {spec['field']!r}")
        getter, shown = _field_getter(str(spec["field"]))
        lowered = tuple(s.lower() if isinstance(s, str) else s for s in segments)

        def field_items(ctx: EvalContext) -> list[Any]:
            values, is_array = getter(ctx)
            if not is_array:  # the path names the current item itself: count its items
                values = paths.iterate(values)
            return [v for v in values if v is not MISSING and v is not None]

        return field_items, lowered, shown
    if "value" in spec:
        value = compile_value(spec["value"])
        return (lambda ctx: paths.iterate(value(ctx))), None, str(spec["value"])
    if "related" in spec:
        name = str(spec["related"])
        impl = RELATED.get_loaded(name)
        if impl is None:
            known = ", ".join(RELATED.names())
            raise ConditionError(f"unknown related source {name!r} (known: {known})")
        args = {str(k): compile_value(v) for k, v in (spec.get("with") or {}).items()}
        try:  # an unknown 'with' argument is a load error, not a TypeError per resource
            inspect.signature(impl).bind(None, **dict.fromkeys(args))
        except TypeError:
            params = list(inspect.signature(impl).parameters)[1:]
            raise ConditionError(
                f"related source {name!r} takes {', '.join(params) or 'no arguments'}; "
                f"got {', '.join(sorted(args)) or 'nothing'}"
            ) from None

        # Literal arguments are bound once; only expressions are evaluated per resource.
        bound = {k: lit[0] for k, ev in args.items() if (lit := literal_of(ev)) is not None}
        computed = [(k, ev) for k, ev in args.items() if k not in bound]
        if not computed and not bound:  # privateEndpoints of the judged resource: no frame
            return impl, None, name
        if not computed:
            return (lambda ctx: impl(ctx, **bound)), None, name
        return _positional_call(impl, bound, computed), None, name
    raise ConditionError("count needs 'field', 'value' or 'related'")
