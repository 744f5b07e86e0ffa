"""The JSON type a leaf comparison reads, declared by its literal operand.

``field: properties.isHnsEnabled`` with ``notEquals: true`` reads a boolean: ARM writes
``true`` or ``false`` there. A value of another JSON type (``[true]``, ``{"value": true}``,
``1``, ``"yes"``) is not "not true": it is a value the rule cannot read, and reading it as the
harmless case passes a malformed row. So an equality leaf that a value matching nothing would
pass (``notEquals``, ``notIn``; ``equals``, ``in`` under a ``not``) against literal booleans
reads only a boolean (or the strings ``"true"``/``"false"`` in any case, which the engine has
always read as booleans), and one against literal non-blank strings (an enum such as ``Disabled``) reads only a string (a blank or
padded one is text that matches no enum value: the rule reads it as it reads any other).
Anything else that is present is :class:`~amlguard.scanner.shapes.MalformedValue`: the
finding is ``error`` naming the resource and the path (``allOf``/``anyOf`` still settle the
answer when another branch decides it). Where such a value already fails the leaf (``equals``,
``in`` outside a ``not``) it keeps failing: that is the conservative reading. An absent value
(missing or ``null``) keeps the rule's documented reading of absent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from amlguard.scanner.expressions import is_expression
from amlguard.scanner.paths import MISSING
from amlguard.scanner.shapes import MalformedValue, describe
from amlguard.textsafe import visible

#: the operators whose literal operand declares the type they read
EQUALITY = frozenset({"equals", "notEquals", "in", "notIn"})
#: those a value matching nothing passes (outside a ``not``): a wrong type must not
NEGATIVE = frozenset({"notEquals", "notIn"})

#: (actual) -> what is wrong with it, or None when it is of the declared type (or absent)
Guard = Callable[[Any], "str | None"]


def _boolean(actual: Any) -> str | None:
    if actual is MISSING or actual is None or type(actual) is bool:
        return None
    if type(actual) is str and actual.lower() in ("true", "false"):
        return None
    return f"{describe(actual)}, expected a boolean"


def _text(actual: Any) -> str | None:
    if actual is MISSING or actual is None:
        return None
    if type(actual) is str:  # a blank or padded string is still text: it matches no enum
        return None
    return f"{describe(actual)}, expected a string"


def guard(op: str, raw: Any, negated: bool = False) -> Guard | None:
    """The type check a leaf with operator ``op`` and operand ``raw`` applies to what it
    reads, or None when it needs none: the operand declares no type (an expression, a number,
    a mix), or a value of the wrong type already fails the leaf where failing is the
    conservative reading (``equals``/``in`` not under a ``not``: ``negated`` says it is)."""
    if op not in (EQUALITY if negated else NEGATIVE) or is_expression(raw):
        return None
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        return None
    if all(type(x) is bool for x in items):
        return _boolean
    if all(type(x) is str and x.strip() and not is_expression(x) for x in items):
        return _text
    return None


def malformed(problem: str, resource: Any, path: str) -> MalformedValue:
    """The error a leaf raises for a value of the wrong type at ``path`` of ``resource``."""
    rid = resource.get("id", "?") if isinstance(resource, dict) else "?"
    return MalformedValue(
        f"{visible(str(path))} of {visible(str(rid))} is {problem}: cannot be judged"
    )
