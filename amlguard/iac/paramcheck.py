"""A parameter value ARM would refuse: outside ``allowedValues``, ``minValue``/``maxValue``,
``minLength``/``maxLength`` (Bicep's ``@allowed``, ``@minValue``... decorators compile to them).

``az deployment`` fails validation before anything is deployed, so such a value is an input
error (exit 2) naming the parameter, its declaration's ``file:line:col`` and where the value
came from (a parameter file's line, ``--parameter``, the default, a module call). ARM's
semantics: an array's every element must be allowed; strings are compared ignoring case (ARM
accepts ``eastus`` for ``EastUS``, Azure/bicep#2489); lengths count characters or items; a null
value of a nullable parameter and a value unknown before deployment are not judged. A secure
value is never shown. A declaration's ``$ref`` to a user-defined type is resolved first, and the
constraints inside the type (object properties, array items, tuples, discriminators: see
:mod:`amlguard.iac.typecheck`) are checked the same way, naming the path inside the value.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from amlguard.iac.functions import EvalError
from amlguard.iac.typecheck import STRUCTURE, TypeSpecError, effective, is_secure, type_violation
from amlguard.iac.values import Secret, Unknown


class Run(Protocol):
    """What this module reads of a template run (:class:`amlguard.iac.template.Run`)."""

    param_decls: dict[str, tuple[str, Any]]
    path: tuple[str | int, ...]
    values: dict[str, Any]
    template: dict[str, Any]

    def parameter(self, name: str) -> Any: ...
    def error(self, path: tuple[str | int, ...], message: str) -> Exception: ...


_CONSTRAINTS = ("allowedvalues", "minvalue", "maxvalue", "minlength", "maxlength")
_CHECKED = (*_CONSTRAINTS, *STRUCTURE)


def _spec_get(spec: dict[str, Any], name: str) -> Any:
    for key, value in spec.items():
        if key.lower() == name:
            return value
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _show(value: Any, secret: bool) -> str:
    if secret:
        return "(a secure value)"
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def violation(spec: dict[str, Any], value: Any) -> str | None:
    """What ARM's validation says about ``value`` for a parameter declaration, or None."""
    secret = isinstance(value, Secret)
    if secret:
        value = value.value
    if value is None or isinstance(value, Unknown):
        return None
    allowed = _spec_get(spec, "allowedvalues")
    if allowed is not None:
        if not isinstance(allowed, list):
            return "has allowedValues that are not an array"
        items = (
            value
            if isinstance(value, list) and str(spec.get("type", "")).lower() == ("array")
            else [value]
        )
        for item in items:
            if isinstance(item, Unknown) or any(_same(item, a) for a in allowed):
                continue
            what = "an element" if items is value else "the value"
            shown = _show(allowed, False)
            return f"{what} {_show(item, secret)} is not one of its allowedValues {shown}"
    for name, test, word in (
        ("minvalue", lambda v, b: v >= b, "less than minValue"),
        ("maxvalue", lambda v, b: v <= b, "greater than maxValue"),
    ):
        bound = _spec_get(spec, name)
        number = isinstance(value, int) and not isinstance(value, bool)
        if number and isinstance(bound, int) and not test(value, bound):
            return f"value {_show(value, secret)} is {word} {bound}"
    for name, test, word in (
        ("minlength", lambda n, b: n >= b, "shorter than minLength"),
        ("maxlength", lambda n, b: n <= b, "longer than maxLength"),
    ):
        bound = _spec_get(spec, name)
        if bound is None or not isinstance(bound, int):
            continue
        if isinstance(value, (str, list)) and not test(len(value), bound):
            unit = "character(s)" if isinstance(value, str) else "element(s)"
            return f"value has {len(value)} {unit}: {word} {bound}"
    return None


def definitions_of(template: Any) -> dict[str, Any]:
    """A template's user-defined types (``definitions``), or none."""
    found = template.get("definitions") if isinstance(template, dict) else None
    return found if isinstance(found, dict) else {}


def check_parameters(run: Run, origin_of: Any = None) -> None:
    """Every constrained parameter of ``run`` against its declaration (TemplateError if not)."""
    definitions = definitions_of(run.template)
    for low, (key, spec) in run.param_decls.items():
        if not isinstance(spec, dict) or not any(k.lower() in _CHECKED for k in spec):
            continue
        where = (*run.path, "parameters", key)
        try:
            resolved = effective(spec, definitions)
            value = run.parameter(key)
            if is_secure(resolved) and value is not None and not isinstance(value, Secret):
                value = Secret(value, f"parameters('{key}')")
            problem = violation(resolved, value) or type_violation(
                resolved, value, definitions, violation
            )
        except (EvalError, TypeSpecError) as exc:
            raise run.error(
                where, f"parameter '{key}': {exc}" if isinstance(exc, TypeSpecError) else str(exc)
            ) from None
        if problem is None:
            continue
        if low not in run.values:
            source = "its default"
        elif origin_of is not None:
            source = origin_of(low)
        else:
            source = "the value given"
        raise run.error(
            where,
            f"parameter '{key}': {problem} (from {source}); az deployment would refuse it",
        )


__all__ = ["check_parameters", "definitions_of", "violation"]
