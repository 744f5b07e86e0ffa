"""Bicep objects and arrays as ARM expressions: properties, interpolated keys, and spread
(``...x``, marked by :mod:`amlguard.iac.bicepprepass`) as ``shallowMerge()``/``flatten()``,
the way ``bicep build`` writes them. A part of :class:`amlguard.iac.bicepexpr.Lowerer`."""

from __future__ import annotations

from typing import Any

from amlguard.iac.bicepnodes import BicepError, literal_string, quote, text_of
from amlguard.iac.bicepprepass import Marks


class CollectionLowering:
    """Objects, arrays and their properties (mixed into the Lowerer)."""

    file: str
    marks: Marks

    def expr(self, node: Any, env: dict[str, str]) -> str:
        """The ARM expression of a node (the Lowerer's)."""
        raise NotImplementedError

    def fail(self, node: Any, what: str) -> BicepError:
        """The error for an unsupported construct (the Lowerer's)."""
        raise NotImplementedError

    def is_spread(self, node: Any) -> bool:
        """True when ``node`` is a spread (``...x``) property of an object or item of an array."""
        if node.type == "object_property":
            return node.start_byte in self.marks.object_spreads
        return node.start_byte in self.marks.array_spreads

    def spread_value(self, prop: Any) -> Any:
        """The expression node a spread property spreads."""
        return [c for c in prop.named_children if c.type != "comment"][-1]

    def _object(self, node: Any, env: dict[str, str]) -> str:
        parts: list[str] = []  # as bicep build writes spreads: shallowMerge of the pieces
        args: list[str] = []
        for prop in node.named_children:
            if prop.type == "comment":
                continue
            if self.is_spread(prop):
                if args:
                    parts.append(f"createObject({', '.join(args)})")
                    args = []
                parts.append(self.expr(self.spread_value(prop), env))
                continue
            key_expr, value = self._property_expr(prop, env)
            args += [key_expr, self.expr(value, env)]
        if not parts:
            return f"createObject({', '.join(args)})"
        if args:
            parts.append(f"createObject({', '.join(args)})")
        return f"shallowMerge(createArray({', '.join(parts)}))"

    def _array(self, node: Any, env: dict[str, str]) -> str:
        items = [c for c in node.named_children if c.type != "comment"]
        if not any(self.is_spread(c) for c in items):
            return f"createArray({', '.join(self.expr(c, env) for c in items)})"
        parts: list[str] = []  # flatten of the pieces, as bicep build writes spreads
        run: list[str] = []
        for item in items:
            if self.is_spread(item):
                if run:
                    parts.append(f"createArray({', '.join(run)})")
                    run = []
                parts.append(self.expr(item, env))
            else:
                run.append(self.expr(item, env))
        if run:
            parts.append(f"createArray({', '.join(run)})")
        return f"flatten(createArray({', '.join(parts)}))"

    def _property_expr(self, prop: Any, env: dict[str, str]) -> tuple[str, Any]:
        """(key expression, value node) of an object property, its key maybe interpolated."""
        if self.computed_key(prop):
            key_node, value = [c for c in prop.named_children if c.type != "comment"]
            return self.expr(key_node, env), value
        key, value = self.property(prop)
        return quote(key), value

    def computed_key(self, prop: Any) -> bool:
        """True for ``'${x}': value`` (an interpolated key)."""
        named = [c for c in prop.named_children if c.type != "comment"]
        return (
            prop.type == "object_property"
            and len(named) == 2
            and named[0].type == "string"
            and literal_string(self.file, named[0]) is None
        )

    def has_spread(self, node: Any) -> bool:
        """True when an object or array node spreads another value into itself."""
        return any(self.is_spread(c) for c in node.named_children if c.type != "comment")

    def property(self, prop: Any) -> tuple[str, Any]:
        """(key, value node) of an object property (a spread is not one: see ``is_spread``)."""
        if prop.type != "object_property":
            raise self.fail(prop, f"'{prop.type}' in an object")
        if self.is_spread(prop):
            raise self.fail(prop, "a spread (...) here")
        named = [c for c in prop.named_children if c.type != "comment"]
        if len(named) != 2:
            raise self.fail(prop, "this object property")
        key_node, value = named
        if key_node.type in ("identifier", "property_identifier"):
            return text_of(key_node), value
        if key_node.type == "string":
            key = literal_string(self.file, key_node)
            if key is not None:
                return key, value
        raise self.fail(key_node, "a computed property name")


__all__ = ["CollectionLowering"]
