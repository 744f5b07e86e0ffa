"""Expression functions over text: ``split`` (a comma-separated ARM value as a set of items).

ARM writes some sets as one string: ``identity.type`` is ``"SystemAssigned, UserAssigned"``.
Testing it with ``contains`` tests a substring (``NotUserAssigned`` would pass); a rule splits
it first and tests the items: ``value: "[split(field('identity.type'), ',')]"``,
``contains: UserAssigned``.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner.context import EvalContext
from amlguard.scanner.expressions import function
from amlguard.scanner.unknown import Unknown


@function("split")
def _split(ctx: EvalContext, text: Any, separator: Any = ",") -> Any:
    """The trimmed, non-empty parts of ``text`` (no parts for anything but a string)."""
    if type(text) is Unknown:  # its parts are unknown too (templates)
        return text
    if not isinstance(text, str) or not isinstance(separator, str) or not separator:
        return []
    return [part.strip() for part in text.split(separator) if part.strip()]
