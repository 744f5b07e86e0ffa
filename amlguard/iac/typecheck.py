"""Constraints inside user-defined types (languageVersion 2.0 ``definitions``), checked on a
parameter's value the way :mod:`amlguard.iac.paramcheck` checks a parameter's own constraints.

A type is a schema: ``type``, ``$ref`` (``#/definitions/NAME``; sibling keys such as
``nullable`` or a tighter ``maxLength`` apply on top of the referenced type), ``allowedValues``,
``minValue``/``maxValue``, ``minLength``/``maxLength``, ``nullable``, ``properties`` (every
property is required unless its type is ``nullable``), ``additionalProperties`` (``false``:
sealed; a schema: every other property's type), ``items`` (every element's type),
``prefixItems`` (a tuple: each position's type; ``items: false`` forbids more), and
``discriminator`` (``propertyName`` selects the type in ``mapping``). Bicep's ``type``
declarations, decorators, ``?``, ``@sealed()`` and ``@discriminator()`` compile to these.

What ARM's validation would refuse is reported with the path inside the value
(``subnets[1].name``). A value unknown before deployment is not judged; a value of a secure
type (``securestring``/``secureobject``, at any depth) is never shown. Only constraints are
checked, not JSON kinds, as for top-level parameters.
"""

from __future__ import annotations

from typing import Any

from amlguard.iac.values import Secret, Unknown

#: Keys that make a parameter declaration worth checking beyond its own constraints.
STRUCTURE = ("$ref", "properties", "additionalproperties", "items", "prefixitems", "discriminator")
_MAX_REFS = 64  # a chain of $ref longer than this is a cycle
_MAX_DEPTH = 64  # nesting of values checked (deeper values are not judged)
_SECURE = ("securestring", "secureobject")


class TypeSpecError(ValueError):
    """A declaration whose ``$ref`` names no definition or refers to itself."""


def _get(spec: dict[str, Any], name: str) -> Any:
    for key, value in spec.items():
        if key.lower() == name:
            return value
    return None


def _definition(definitions: dict[str, Any], ref: Any) -> dict[str, Any]:
    prefix = "#/definitions/"
    if not isinstance(ref, str) or not ref.startswith(prefix):
        raise TypeSpecError(f"type reference {ref!r} is not '#/definitions/NAME'")
    name = ref[len(prefix) :]
    found = definitions.get(name)
    if found is None:  # ARM names are case-insensitive
        found = next((v for k, v in definitions.items() if k.lower() == name.lower()), None)
    if not isinstance(found, dict):
        raise TypeSpecError(f"type '{name}' is not defined in the template's definitions")
    return found


def effective(spec: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with its ``$ref`` chain resolved (the referring keys win, as in ARM)."""
    if not isinstance(spec, dict):
        return {}
    layers = [spec]
    current = spec
    while (ref := _get(current, "$ref")) is not None:
        if len(layers) > _MAX_REFS:
            raise TypeSpecError(f"type reference {ref!r} refers to itself")
        current = _definition(definitions, ref)
        layers.append(current)
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged.update({k: v for k, v in layer.items() if k != "$ref"})
    return merged


def is_secure(spec: dict[str, Any]) -> bool:
    """Whether a resolved type is a secure one."""
    return str(_get(spec, "type") or "").lower() in _SECURE


def type_violation(
    spec: Any, value: Any, definitions: dict[str, Any], own: Any = None
) -> str | None:
    """What ARM would refuse inside ``value`` for the type ``spec``, or None.

    ``own(spec, value)`` judges one level's own constraints (``paramcheck.violation``); the
    top level is left to the caller, which already judges it."""
    return _walk(effective(spec, definitions), value, definitions, own, "", False, 0)


def _walk(
    spec: dict[str, Any],
    value: Any,
    defs: dict[str, Any],
    own: Any,
    where: str,
    secret: bool,
    depth: int,
) -> str | None:
    if isinstance(value, Secret):
        value, secret = value.value, True
    secret = secret or is_secure(spec)
    if isinstance(value, Unknown) or depth > _MAX_DEPTH:
        return None
    if where:  # the top level's own constraints and null are the caller's
        if value is None:
            return None if _get(spec, "nullable") else f"{where}: is null but not nullable"
        problem = own(spec, Secret(value, "") if secret else value) if own else None
        if problem:
            return f"{where}: {problem}"
    if isinstance(value, dict):
        return _object(spec, value, defs, own, where, secret, depth)
    if isinstance(value, list):
        return _array(spec, value, defs, own, where, secret, depth)
    return None


def _object(
    spec: dict[str, Any],
    value: dict[str, Any],
    defs: dict[str, Any],
    own: Any,
    where: str,
    secret: bool,
    depth: int,
) -> str | None:
    discriminator = _get(spec, "discriminator")
    if isinstance(discriminator, dict):
        chosen = _variant(discriminator, value, where, secret, spec, defs)
        if isinstance(chosen, str):
            return chosen
        spec = {**spec, **effective(chosen, defs)}
        spec.pop("discriminator", None)
    props = _get(spec, "properties")
    props = props if isinstance(props, dict) else {}
    keys = {str(k).lower(): k for k in value}
    for name, prop_spec in props.items():
        prop = effective(prop_spec, defs)
        key = keys.get(str(name).lower())
        inner = f"{where}.{name}" if where else str(name)
        if key is None:
            if not _get(prop, "nullable"):
                return f"{inner}: required property is missing"
            continue
        problem = _walk(prop, value[key], defs, own, inner, secret, depth + 1)
        if problem:
            return problem
    extra = _get(spec, "additionalproperties")
    declared = {str(n).lower() for n in props}
    for key, item in value.items():
        if str(key).lower() in declared or extra is None or extra is True:
            continue
        inner = f"{where}.{key}" if where else str(key)
        if extra is False:
            return f"{inner}: property is not allowed (the type is sealed)"
        problem = _walk(effective(extra, defs), item, defs, own, inner, secret, depth + 1)
        if problem:
            return problem
    return None


def _variant(
    discriminator: dict[str, Any],
    value: dict[str, Any],
    where: str,
    secret: bool,
    spec: dict[str, Any],
    defs: dict[str, Any],
) -> Any:
    """The mapped type for the value's tag, or the message saying why there is none (a tag
    whose declared type is secure, in the union or in any of its variants, is never shown)."""
    name = _get(discriminator, "propertyname")
    mapping = _get(discriminator, "mapping")
    if not isinstance(name, str) or not isinstance(mapping, dict):
        raise TypeSpecError("a discriminator needs 'propertyName' and a 'mapping' object")
    inner = f"{where}.{name}" if where else name
    tag = next((v for k, v in value.items() if str(k).lower() == name.lower()), None)
    if isinstance(tag, Secret):
        tag, secret = tag.value, True
    if isinstance(tag, Unknown):
        return {}
    if not isinstance(tag, str):
        return f"{inner}: required discriminator property is missing"
    if tag in mapping:
        return mapping[tag]
    for key, chosen in mapping.items():
        if str(key).lower() == tag.lower():
            return chosen
    hidden = secret or any(_declares_secure(s, name, defs) for s in [spec, *mapping.values()])
    shown = "(a secure value)" if hidden else repr(tag)
    return f"{inner}: {shown} is not one of the discriminator's values {sorted(mapping)}"


def _declares_secure(spec: Any, name: str, defs: dict[str, Any]) -> bool:
    """Whether the object type ``spec`` declares property ``name`` (or its other properties)
    of a secure type; a type that cannot be resolved counts as secure (never shown)."""
    try:
        resolved = effective(spec, defs)
        props = _get(resolved, "properties")
        props = props if isinstance(props, dict) else {}
        declared = next((v for k, v in props.items() if str(k).lower() == name.lower()), None)
        if declared is None:
            extra = _get(resolved, "additionalproperties")
            return isinstance(extra, dict) and is_secure(effective(extra, defs))
        return is_secure(effective(declared, defs))
    except TypeSpecError:
        return True


def _array(
    spec: dict[str, Any],
    value: list[Any],
    defs: dict[str, Any],
    own: Any,
    where: str,
    secret: bool,
    depth: int,
) -> str | None:
    prefix = _get(spec, "prefixitems")
    prefix = prefix if isinstance(prefix, list) else []
    items = _get(spec, "items")
    for index, item in enumerate(value):
        inner = f"{where}[{index}]"
        if index < len(prefix):
            item_spec: Any = prefix[index]
        elif items is False:
            return f"{inner}: the tuple has {len(prefix)} element(s); no more are allowed"
        elif isinstance(items, dict):
            item_spec = items
        else:
            continue
        problem = _walk(effective(item_spec, defs), item, defs, own, inner, secret, depth + 1)
        if problem:
            return problem
    if len(value) < len(prefix) and not all(
        _get(effective(p, defs), "nullable") for p in prefix[len(value) :]
    ):
        return f"{where or 'the value'}: the tuple needs {len(prefix)} element(s), has {len(value)}"
    return None


__all__ = ["STRUCTURE", "TypeSpecError", "effective", "is_secure", "type_violation"]
