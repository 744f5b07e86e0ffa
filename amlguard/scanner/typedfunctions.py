"""Expression functions that read a value the one way the scanner reads it, and refuse a
value of the wrong JSON type (``error``, never a pass): ``computeKind()`` and ``typed()``."""

from __future__ import annotations

from typing import Any

from amlguard.scanner import shapes, valuetypes
from amlguard.scanner.context import EvalContext
from amlguard.scanner.expressions import function
from amlguard.scanner.paths import MISSING
from amlguard.scanner.targets import compute_type
from amlguard.scanner.unknown import Unknown
from amlguard.textsafe import visible


@function("computeKind")
def _compute_kind(ctx: EvalContext) -> Any:
    """The judged compute's ``properties.computeType`` as the ``computes`` selector reads it
    (stripped, lower-cased: ``"AmlCompute "`` is ``amlcompute``); a malformed one is an
    error, never a kind."""
    row = ctx.resource
    if not isinstance(row, dict):
        return MISSING
    return compute_type(row)


@function("typed")
def _typed(ctx: EvalContext, value: Any, kind: Any, where: Any = "") -> Any:
    """``value`` when it is absent or of JSON type ``kind`` (an ``is`` type: boolean,
    string, number...); any other value cannot be judged (``error``): a ``"false"`` where
    ARM returns ``false`` is a malformed row, not a compliant one."""
    if value is MISSING or value is None or type(value) is Unknown:
        return value
    try:
        ok = valuetypes.check(kind)(value)
    except ValueError as exc:
        raise shapes.MalformedValue(f"typed(): {exc}") from None
    if ok:
        return value
    rid = ctx.resource.get("id") if isinstance(ctx.resource, dict) else None
    at = f"{where} of {rid}" if isinstance(where, str) and where else f"a value of {rid}"
    raise shapes.MalformedValue(
        f"{visible(at)} is {shapes.describe(value)}, expected {valuetypes.describe(kind)}: "
        "cannot be judged"
    )
