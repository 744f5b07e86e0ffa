"""The values an evaluation passes around besides JSON: secrets, unknowns, resource views.

- :class:`~amlguard.scanner.unknown.Unknown` (re-exported): a value known only after
  deployment. Property access and most functions on it give another unknown whose key spells
  the computation, so the same computation gives the same (equal) unknown.
- :class:`Secret`: a secure parameter's value. Functions see the real value (a condition may
  compare it), but results other than booleans and numbers stay secret, and a secret never
  reaches a row: it becomes a secret unknown keyed by where it came from.
- :class:`ResourceView`: what ``reference()`` returns: the properties the template declares,
  and an unknown for any other (runtime) property.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from amlguard.scanner.unknown import Unknown

__all__ = ["ResourceView", "Secret", "Unknown", "child", "key_text", "materialize"]


class Secret:
    """A secure value: usable in expressions, never shown."""

    __slots__ = ("origin", "value")

    def __init__(self, value: Any, origin: str) -> None:
        self.value = value
        self.origin = origin

    def __repr__(self) -> str:
        return "<secret>"


class ResourceView:
    """``reference(...)`` of a resource: declared values, unknowns for runtime ones."""

    __slots__ = ("full", "key", "loader")

    def __init__(self, key: str, loader: Callable[[], dict[str, Any] | None], full: bool) -> None:
        self.key = key  # the lower-cased resource id
        self.loader = loader  # the resource's evaluated body, or None (outside the template)
        self.full = full

    def get(self, name: str) -> Any:
        """The value of ``.name`` on this view."""
        body = self.loader() or {}
        low = name.lower()
        if self.full:
            for k, v in body.items():
                if k.lower() == low and v is not None:
                    return _declared(v, f"{self.key}:{k}")
            return Unknown(f"{self.key}:{name}")
        props = body.get("properties")
        if isinstance(props, dict):
            for k, v in props.items():
                if k.lower() == low and v is not None:
                    v = _with_child_ids(self.key, k, v)
                    return _declared(v, f"{self.key}:properties.{k}")
        return Unknown(f"{self.key}:properties.{name}")

    def as_dict(self) -> Any:
        """The view as a plain value (where a whole ``reference()`` is written into a row)."""
        return Unknown(f"reference({self.key})")


_ABSENT = object()


class _Partial(dict[str, Any]):
    """A declared object: missing members are runtime values, unknown before deployment."""

    key: str


class _PartialList(list[Any]):
    """A declared array: its objects are declared objects too (``subnets[0].id``)."""

    key: str


def _declared(value: Any, key: str) -> Any:
    if isinstance(value, dict) and not isinstance(value, _Partial):
        out = _Partial(value)
        out.key = key
        return out
    if isinstance(value, list) and not isinstance(value, _PartialList):
        items = _PartialList(value)
        items.key = key
        return items
    return value


#: arrays of inline child resources whose members ARM gives an ``id`` at runtime:
#: (type of the parent, property) -> the child's type segment
_INLINE_CHILDREN = {("microsoft.network/virtualnetworks", "subnets"): "subnets"}


def _with_child_ids(resource_id: str, prop: str, value: Any) -> Any:
    """``reference(vnet).subnets``: each declared subnet with the id ARM will give it."""
    parts = resource_id.split("/providers/")[-1].split("/") if "/providers/" in resource_id else []
    rtype = "/".join(parts[:2]).lower() if len(parts) >= 3 else ""
    segment = _INLINE_CHILDREN.get((rtype, prop.lower()))
    if segment is None or not isinstance(value, list):
        return value
    out = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str) and name and not any(k.lower() == "id" for k in item):
            item = {**item, "id": f"{resource_id}/{segment}/{name}"}
        out.append(item)
    return out


def child(value: Any, name: str | int, strict: bool = True) -> Any:
    """``value.name`` / ``value[index]`` honouring unknowns, secrets and views; KeyError/IndexError
    when ``strict`` and the member is absent (ARM's "property doesn't exist")."""
    if isinstance(value, Unknown):
        suffix = f"[{name}]" if isinstance(name, int) else f".{name}"
        return Unknown(value.key + suffix, value.secret, value.where)
    if isinstance(value, Secret):
        return Secret(child(value.value, name, strict), value.origin)
    if isinstance(value, ResourceView):
        if isinstance(name, int):
            raise KeyError(name)
        return value.get(name)
    if isinstance(value, dict):
        if isinstance(name, str):
            found = value.get(name, _ABSENT)
            if found is _ABSENT:
                low = name.lower()
                found = next((v for k, v in value.items() if k.lower() == low), _ABSENT)
            if found is not _ABSENT:
                if isinstance(value, _Partial) and found is not None:
                    return _declared(found, f"{value.key}.{name}")
                return found
        if isinstance(value, _Partial):
            return Unknown(f"{value.key}.{name}")
        if strict:
            raise KeyError(name)
        return None
    if isinstance(value, list) and isinstance(name, int) and not isinstance(name, bool):
        if 0 <= name < len(value):
            if isinstance(value, _PartialList) and value[name] is not None:
                return _declared(value[name], f"{value.key}[{name}]")
            return value[name]
        if strict:
            raise IndexError(name)
        return None
    if isinstance(value, str) and isinstance(name, int) and 0 <= name < len(value):
        return value[name]
    if strict:
        raise KeyError(name)
    return None


def key_text(value: Any) -> str:
    """A value as it appears inside an unknown's key: stable, never a secret's content."""
    if isinstance(value, Unknown):
        return value.key
    if isinstance(value, Secret):
        return f"<secret {value.origin}>"
    if isinstance(value, ResourceView):
        return f"reference({value.key})"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    try:
        return json.dumps(materialize(value), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def materialize(value: Any) -> Any:
    """A value as a row holds it: plain JSON, with unknowns; secrets become secret unknowns."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Secret):
        return Unknown(value.origin, secret=True)
    if isinstance(value, ResourceView):
        return value.as_dict()
    if isinstance(value, dict):
        return {str(k): materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [materialize(v) for v in value]
    return value
