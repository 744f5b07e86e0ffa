"""How a ``count: {related: NAME, with: ...}`` calls its source, and how a count's items are
named in a finding (split from :mod:`amlguard.scanner.conditions`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from amlguard.scanner import paths
from amlguard.scanner.context import EvalContext
from amlguard.scanner.expressions import PARAMETER
from amlguard.scanner.paths import MISSING
from amlguard.scanner.unknown import Unknown, UnknownValue

RelatedSource = Callable[..., list[Any]]


def positional_call(
    impl: RelatedSource, bound: dict[str, Any], computed: list[tuple[str, Any]]
) -> Callable[[EvalContext], list[Any]]:
    """``impl(ctx, **computed values, **bound)`` as a positional call: the arguments in the
    signature's order, the literal ones and the defaults of those not given placed once. It
    costs half of building and unpacking a keyword dict per resource (43,000 calls at
    N = 1,000). A signature it cannot place (keyword-only or variadic) keeps the keywords."""
    params = list(inspect.signature(impl).parameters.values())[1:]
    names = [p.name for p in params]
    given = set(bound) | {k for k, _ in computed}
    placeable = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params) and given <= set(names)
    if not placeable:

        def by_keyword(ctx: EvalContext) -> list[Any]:
            given = {k: known(ev(ctx)) for k, ev in computed}
            return impl(ctx, **given, **bound)

        return by_keyword
    used = names[: max(names.index(k) for k in given) + 1]
    template = [bound.get(n, params[i].default) for i, n in enumerate(used)]
    # A ``parameters('x')`` argument is read from ctx.params here (what its evaluator does,
    # without its frame); the others are evaluated; both in the order given (the same errors).
    slots = [
        (used.index(k), ev, getattr(ev, PARAMETER) if _param(ev) else None) for k, ev in computed
    ]

    def related_items(ctx: EvalContext) -> list[Any]:
        args = template.copy()
        for i, ev, name in slots:
            value = ctx.params.get(name, MISSING) if name is not None else ev(ctx)
            if type(value) is Unknown:  # known(), inline: this runs per argument and item
                raise UnknownValue(value)
            args[i] = value
        return impl(ctx, *args)

    return related_items


def _param(ev: Any) -> bool:
    """Whether ``ev`` is a bound ``parameters('x')`` call (it says which ``x``)."""
    return isinstance(getattr(ev, PARAMETER, None), str)


def known(value: Any) -> Any:
    """``value``, unless it is unknown before deployment: what an unknown filter selects is
    unknown too (a related source must not compare the placeholder text)."""
    if type(value) is Unknown:
        raise UnknownValue(value)
    return value


def label(item: Any) -> Any:
    """How an offending item is named in a finding: its id, else its name, else itself."""
    if isinstance(item, dict):
        for key in ("id", "name"):
            v = paths.get_key(item, key)
            if isinstance(v, str) and v:
                return v
    return item
