"""Bicep ``type`` declarations lowered to ARM ``definitions``, as ``bicep build`` emits them, so
the constraints inside user-defined types are checked for Bicep read by the built-in reader
(:mod:`amlguard.iac.typecheck`).

Lowered: object types (properties with their decorators, ``?``, ``@sealed()``), arrays
(``T[]``), tuples (``[A, B]``), primitive and literal types, unions of literals, references to
other local types, ``@discriminator()`` unions of local object types, and the decorators
``@allowed``, ``@minLength``/``@maxLength``, ``@minValue``/``@maxValue``, ``@secure``,
``@sealed``. Anything else (a type imported from another file or a registry, a
resource-derived type, ``*:`` additional properties) becomes an unconstrained type: it is not
judged, as before, rather than judged wrongly.
"""

from __future__ import annotations

from typing import Any

from amlguard.iac.bicepexpr import text_of
from amlguard.iac.bicepread import decorators_of

_PRIMITIVES = {"string", "int", "bool", "object", "array"}
_BOUNDS = {
    "minvalue": "minValue",
    "maxvalue": "maxValue",
    "minlength": "minLength",
    "maxlength": "maxLength",
}
_REF = "#/definitions/"
Decorators = list[tuple[str, list[Any]]]


def _literal(node: Any) -> Any:
    """The JSON value of a literal argument or literal type node, or None."""
    kind = node.type
    if kind == "string":  # plain text only: an escape or interpolation is not judged
        if all(c.type == "string_content" for c in node.named_children):
            return "".join(text_of(c) for c in node.named_children)
        return None
    if kind == "number":
        try:
            return int(text_of(node))
        except ValueError:
            return None
    if kind == "boolean" or text_of(node) in ("true", "false"):
        return text_of(node) == "true"
    if kind == "unary_expression" and text_of(node).startswith("-"):
        inner = _literal(node.named_children[-1]) if node.named_children else None
        return -inner if isinstance(inner, int) and not isinstance(inner, bool) else None
    if kind == "array":
        items = [_literal(c) for c in node.named_children if c.type != "comment"]
        return None if any(i is None for i in items) else items
    return None


class TypeLowering:
    """The definitions of one Bicep file's ``type`` declarations."""

    def __init__(self, declared: dict[str, tuple[Any, Decorators]]) -> None:
        self.declared = declared
        self.names = {name.lower(): name for name in declared}

    def definitions(self) -> dict[str, Any]:
        """``{name: schema}`` for every declared type."""
        out: dict[str, Any] = {}
        for name, (node, decorators) in self.declared.items():
            body = node.named_children[-1] if len(node.named_children) > 1 else None
            out[name] = self.lower(body, decorators, top=True)
        return out

    def lower(self, node: Any, decorators: Decorators, top: bool = False) -> dict[str, Any]:
        """The ARM schema of a type node with its decorators."""
        spec = self._shape(node, decorators) if node is not None else {}
        for name, args in decorators:
            bare = name.removeprefix("sys.")
            if bare == "allowed" and args and isinstance(_literal(args[0]), list):
                spec["allowedValues"] = _literal(args[0])
            elif bare in _BOUNDS and args and isinstance(_literal(args[0]), int):
                spec[_BOUNDS[bare]] = _literal(args[0])
            elif bare == "secure" and spec.get("type") in ("string", "object"):
                spec["type"] = {"string": "securestring", "object": "secureObject"}[spec["type"]]
            elif bare == "sealed" and spec.get("type") == "object" and "properties" in spec:
                spec["additionalProperties"] = False
        return spec

    def param_spec(self, node: Any) -> dict[str, Any] | None:
        """The lowered type of a parameter's type node when it is a user-defined one."""
        inner = node.named_children[0] if node.type == "type" and node.named_children else node
        if inner.type == "identifier" and text_of(inner).lower() in self.names:
            return {"$ref": _REF + self.names[text_of(inner).lower()]}
        if inner.type in ("object", "array_type", "union_type", "array"):
            return self.lower(inner, [])
        return None

    # ---- shapes -------------------------------------------------------------------------------

    def _shape(self, node: Any, decorators: Decorators) -> dict[str, Any]:
        kind = node.type
        if kind == "type" and node.named_children:
            return self._shape(node.named_children[0], [])
        if kind == "primitive_type" or (kind == "identifier" and text_of(node) in _PRIMITIVES):
            return {"type": text_of(node)}
        if kind == "identifier":
            name = self.names.get(text_of(node).lower())
            return {"$ref": _REF + name} if name else {}
        if kind == "nullable_type" and node.named_children:
            return {**self._shape(node.named_children[0], []), "nullable": True}
        if kind == "array_type" and node.named_children:
            return {"type": "array", "items": self._shape(node.named_children[0], [])}
        if kind == "array":  # a tuple type
            members = [c for c in node.named_children if c.type != "comment"]
            return {
                "type": "array",
                "prefixItems": [self._shape(m, []) for m in members],
                "items": False,
            }
        if kind == "object":
            return self._object(node)
        if kind == "union_type":
            return self._union(node, decorators)
        value = _literal(node)
        if value is not None and not isinstance(value, list):
            kind_of = {str: "string", int: "int", bool: "bool"}[type(value)]
            return {"type": kind_of, "allowedValues": [value]}
        return {}

    def _object(self, node: Any) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        decorators: Decorators = []
        for child in node.named_children:
            if child.type == "decorators":
                decorators = decorators_of(child)
                continue
            if child.type != "object_property":
                decorators = []
                continue
            parts = [c for c in child.named_children if c.type not in ("comment", "decorators")]
            if len(parts) != 2 or parts[0].type not in ("identifier", "string"):
                return {"type": "object"}  # '*:' or a form not read: not judged
            key = text_of(parts[0]) if parts[0].type == "identifier" else _literal(parts[0])
            if not isinstance(key, str):
                return {"type": "object"}
            value = parts[1]
            # tree-sitter-bicep 1.1.0 reads 'a: T?' and the next line 'b: U' as one property
            # whose value is the ternary 'T ? b : U': two properties, the first nullable
            while value.type == "ternary_expression":
                parts = [c for c in value.named_children if c.type != "comment"]
                if len(parts) != 3 or parts[1].type != "identifier":
                    return {"type": "object"}  # not that misreading: not judged
                cond, then, rest = parts
                properties[key] = {**self.lower(cond, decorators), "nullable": True}
                key, value, decorators = text_of(then), rest, []
            spec = self.lower(value, decorators)
            if text_of(child).rstrip().endswith("?"):  # a '?' the parser may not keep
                spec["nullable"] = True
            properties[key] = spec
            decorators = []
        return {"type": "object", "properties": properties}

    def _union(self, node: Any, decorators: Decorators) -> dict[str, Any]:
        members = [c for c in node.named_children if c.type != "comment"]
        values = [_literal(m) for m in members]
        if values and all(v is not None and not isinstance(v, list) for v in values):
            kinds = {type(v) for v in values}
            if len(kinds) == 1:
                kind = {str: "string", int: "int", bool: "bool"}[kinds.pop()]
                return {"type": kind, "allowedValues": values}
            return {}
        tag = next((args for name, args in decorators if name.endswith("discriminator")), None)
        tag_name = _literal(tag[0]) if tag else None
        if not isinstance(tag_name, str):
            return {}
        mapping: dict[str, Any] = {}
        for member in members:
            name = self.names.get(text_of(member).lower()) if member.type == "identifier" else None
            value = self._tag_of(name, tag_name) if name else None
            if name is None or value is None:
                return {"type": "object"}
            mapping[value] = {"$ref": _REF + name}
        return {"type": "object", "discriminator": {"propertyName": tag_name, "mapping": mapping}}

    def _tag_of(self, name: str | None, tag: str) -> str | None:
        """The literal value a member type gives its discriminator property."""
        if name is None:
            return None
        node, decorators = self.declared[name]
        body = node.named_children[-1] if len(node.named_children) > 1 else None
        spec = self.lower(body, decorators) if body is not None else {}
        prop = (spec.get("properties") or {}).get(tag) or {}
        allowed = prop.get("allowedValues")
        return allowed[0] if isinstance(allowed, list) and len(allowed) == 1 else None


__all__ = ["TypeLowering"]
