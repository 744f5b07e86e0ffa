"""Rule parameters: their declaration and the checks of a value against it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amlguard.excerpt import quoted


@dataclass(frozen=True, slots=True)
class Parameter:
    """A rule parameter with its default (config may override the value)."""

    name: str
    default: Any
    description: str
    type: str | None = None
    allowed: tuple[Any, ...] | None = None
    #: a JSON Schema every element of an array value must satisfy
    items: dict[str, Any] | None = None


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "array": (list,),
    "object": (dict,),
}


def is_of_type(value: Any, declared: str | None) -> bool:
    """Whether ``value`` has the declared JSON type (a boolean is not an integer; an unknown or
    absent type accepts anything)."""
    wanted = _JSON_TYPES.get(str(declared)) if declared is not None else None
    if wanted is None:
        return True
    return isinstance(value, wanted) and not (declared == "integer" and isinstance(value, bool))


def default_problem(spec: Any) -> str | None:
    """Why a parameter's default contradicts its declared ``type`` or ``allowed`` values."""
    if not isinstance(spec, dict) or "default" not in spec:
        return None
    default, declared = spec["default"], spec.get("type")
    if not is_of_type(default, declared):
        return f"the default {quoted(default)} is not of the declared type {declared}"
    if isinstance(spec.get("items"), dict) and isinstance(default, list):
        wrong = item_problems(spec["items"], default)
        if wrong:
            return f"the default's {wrong[0][1]}"
    allowed = spec.get("allowed")
    if not isinstance(allowed, list) or default in allowed:
        return None
    if not (isinstance(default, list) and all(v in allowed for v in default)):
        return f"the default {quoted(default)} is not one of the allowed values"
    return None


def item_problems(schema: dict[str, Any], values: list[Any]) -> list[tuple[int, str]]:
    """(index, why) for elements of an array parameter that break its ``items`` JSON Schema.

    A (sub)schema's ``description`` names what was expected, so the message reads
    "'999.1.1.1' is not an IPv4 address" rather than quoting a regular expression.
    """
    if not values:
        return []
    import jsonschema  # only when there are elements to judge: not on the start-up path

    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for i, value in enumerate(values):
        for error in validator.iter_errors(value):
            path = "/".join(map(str, error.absolute_path))
            expected = error.schema.get("description") if isinstance(error.schema, dict) else None
            why = f"{quoted(error.instance)} is not {expected}" if expected else error.message
            problems.append((i, f"item {i}{'/' + path if path else ''}: {why}"))
    return problems
