"""Bicep expressions (tree-sitter-bicep nodes) as ARM template expressions.

The built-in Bicep reader (:mod:`amlguard.iac.bicepread`) lowers a Bicep file to the ARM
template ``bicep build`` would write, so one evaluator judges both. This module lowers one
expression: literals and interpolated strings (``format()``), operators (``equals``, ``and``,
``coalesce``...), ``?:`` (``if()``), property access (``.?`` is ``tryGet()``), calls, lambdas and
for-expressions (``map``/``filter`` over ``lambda()``), and the symbols a file declares:
``parameters()``, ``variables()``, a resource's ``name``/``id``/``type`` written out as Bicep
does, its other properties through ``reference()``, a module's ``outputs``. Anything else is a
:class:`BicepError` at the node's ``file:line:col``: never guessed, never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from amlguard.iac.bicepassoc import needs_fix, restore
from amlguard.iac.bicepcoll import CollectionLowering
from amlguard.iac.bicepnodes import (
    BicepError,
    literal_string,
    nested_symbol,
    quote,
    string_parts,
    text_of,
    unsupported,
    where,
)
from amlguard.iac.bicepprepass import Marks

_TYPE_ONLY = (
    "it is imported, and the built-in Bicep reader uses only functions of local files and types"
    " from an import"
)
_SAFE_PROP = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_BINARY = {
    "==": "equals",
    "<": "less",
    "<=": "lessOrEquals",
    ">": "greater",
    ">=": "greaterOrEquals",
    "&&": "and",
    "||": "or",
    "+": "add",
    "-": "sub",
    "*": "mul",
    "/": "div",
    "%": "mod",
    "??": "coalesce",
}


class Node(Protocol):
    """The part of a tree-sitter node this module reads."""

    type: str
    is_named: bool
    children: list[Any]
    named_children: list[Any]
    start_point: Any
    start_byte: int
    end_byte: int
    text: bytes | None

    def child_by_field_name(self, name: str) -> Any: ...


class Symbols(Protocol):
    """What an expression can name in the file being lowered."""

    file: str

    def kind(self, name: str) -> str | None: ...
    def resource_member(self, name: str, index: str | None, member: str, node: Any) -> str: ...
    def resource_value(self, name: str, index: str | None, node: Any) -> str: ...
    def function(self, name: str) -> str | None: ...


class Lowerer(CollectionLowering):
    """Lowers expression nodes of one file; ``env`` maps local names (loop and lambda
    variables) to the ARM expressions that stand for them."""

    def __init__(self, symbols: Symbols, marks: Marks | None = None) -> None:
        self.symbols = symbols
        self.file = symbols.file
        self.marks = marks or Marks()

    def fail(self, node: Any, what: str) -> BicepError:
        """The error for an unsupported construct at ``node``."""
        return unsupported(self.file, node, what)

    def expr(self, node: Any, env: dict[str, str]) -> str:
        """The ARM expression (without brackets) of a Bicep expression node."""
        if needs_fix(node):
            try:
                node = restore(node)
            except ValueError as exc:
                raise self.fail(node, f"this operator expression ({exc})") from None
        method: Callable[[Any, dict[str, str]], str] | None = getattr(self, "_" + node.type, None)
        if method is None:
            raise self.fail(node, f"'{node.type}'")
        return method(node, env)

    # ---- literals ----------------------------------------------------------------------------

    def _string(self, node: Any, env: dict[str, str]) -> str:
        parts = string_parts(self.file, node)
        if all(isinstance(p, str) for p in parts):
            return quote("".join(p for p in parts if isinstance(p, str)))
        fmt: list[str] = []
        args: list[str] = []
        for part in parts:
            if isinstance(part, str):
                fmt.append(part.replace("{", "{{").replace("}", "}}"))
            else:
                fmt.append("{" + str(len(args)) + "}")
                args.append(self.expr(part, env))
        return f"format({quote(''.join(fmt))}, {', '.join(args)})"

    def _number(self, node: Any, env: dict[str, str]) -> str:
        text = text_of(node)
        if not re.fullmatch(r"-?\d+", text):
            raise self.fail(node, f"number {text}")
        return text

    def _boolean(self, node: Any, env: dict[str, str]) -> str:
        return "true()" if text_of(node) == "true" else "false()"

    def _null(self, node: Any, env: dict[str, str]) -> str:
        return "null()"

    # ---- operators ---------------------------------------------------------------------------

    def _parenthesized_expression(self, node: Any, env: dict[str, str]) -> str:
        inner = [c for c in node.named_children if c.type != "comment"]
        if len(inner) != 1:
            raise self.fail(node, "this parenthesized expression")
        return self.expr(inner[0], env)

    def _unary_expression(self, node: Any, env: dict[str, str]) -> str:
        op = text_of(node.child_by_field_name("operator"))
        arg = self.expr(node.child_by_field_name("argument"), env)
        if op == "!":
            return f"not({arg})"
        if op == "-":
            return f"sub(0, {arg})"
        raise self.fail(node, f"operator '{op}'")

    def _binary_expression(self, node: Any, env: dict[str, str]) -> str:
        op = text_of(node.child_by_field_name("operator"))
        left = self.expr(node.child_by_field_name("left"), env)
        right = self.expr(node.child_by_field_name("right"), env)
        if op in _BINARY:
            return f"{_BINARY[op]}({left}, {right})"
        if op == "!=":
            return f"not(equals({left}, {right}))"
        if op == "=~":
            return f"equals(toLower({left}), toLower({right}))"
        if op == "!~":
            return f"not(equals(toLower({left}), toLower({right})))"
        raise self.fail(node, f"operator '{op}'")

    def _ternary_expression(self, node: Any, env: dict[str, str]) -> str:
        cond = self.expr(node.child_by_field_name("condition"), env)
        yes = self.expr(node.child_by_field_name("consequence"), env)
        no = self.expr(node.child_by_field_name("alternative"), env)
        return f"if({cond}, {yes}, {no})"

    # ---- names, members, calls ---------------------------------------------------------------

    def _identifier(self, node: Any, env: dict[str, str]) -> str:
        name = text_of(node)
        if name in env:
            return env[name]
        kind = self.symbols.kind(name)
        if kind == "param":
            return f"parameters({quote(name)})"
        if kind == "var":
            return f"variables({quote(name)})"
        if kind in ("resource", "module"):
            return self.symbols.resource_value(name, None, node)
        if kind == "type":
            raise self.fail(node, f"'{name}' used as a value ({_TYPE_ONLY})")
        raise BicepError(f"{where(self.file, node)}: '{name}' is not declared")

    def _member_expression(self, node: Any, env: dict[str, str]) -> str:
        obj = node.child_by_field_name("object")
        prop = text_of(node.child_by_field_name("property"))
        safe = any(not c.is_named and c.type == ".?" for c in node.children)
        if obj.type == "lambda_expression":
            # tree-sitter-bicep 1.1.0 binds 'x => x.a' as '(x => x).a': re-associate
            return self._lambda(obj, env, lambda body, e: self._access(body, prop, safe, e))
        return self._access(obj, prop, safe, env)

    def _access(self, obj: Any, prop: str, safe: bool, env: dict[str, str]) -> str:
        if obj.type == "member_expression" and text_of(obj.child_by_field_name("property")) == (
            "outputs"
        ):
            outputs = self._module_outputs(obj.child_by_field_name("object"), env)
            if outputs is not None:  # a module's output: its value
                return f"{outputs}[{quote(prop)}].value"
        base, index = obj, None
        if obj.type == "subscript_expression":
            base = obj.child_by_field_name("object")
            index = self.expr(obj.child_by_field_name("index"), env)
        if base.type == "resource_expression":  # parent::child
            return self.symbols.resource_member(nested_symbol(self.file, base), index, prop, obj)
        if base.type == "identifier" and text_of(base) not in env:
            kind = self.symbols.kind(text_of(base))
            if kind in ("resource", "module"):
                return self.symbols.resource_member(text_of(base), index, prop, obj)
        target = self.expr(obj, env)
        if safe:
            return f"tryGet({target}, {quote(prop)})"
        if _SAFE_PROP.match(prop):
            return f"{target}.{prop}"
        return f"{target}[{quote(prop)}]"

    def _resource_expression(self, node: Any, env: dict[str, str]) -> str:
        return self.symbols.resource_value(nested_symbol(self.file, node), None, node)

    def _module_outputs(self, obj: Any, env: dict[str, str]) -> str | None:
        base, index = obj, None
        if obj.type == "subscript_expression":
            base = obj.child_by_field_name("object")
            index = self.expr(obj.child_by_field_name("index"), env)
        if base.type != "identifier" or text_of(base) in env:
            return None
        if self.symbols.kind(text_of(base)) != "module":
            return None
        return self.symbols.resource_member(text_of(base), index, "outputs", obj)

    def _subscript_expression(self, node: Any, env: dict[str, str]) -> str:
        obj = node.child_by_field_name("object")
        index = self.expr(node.child_by_field_name("index"), env)
        name = text_of(obj) if obj.type == "identifier" else ""
        if name and name not in env and self.symbols.kind(name) in ("resource", "module"):
            return self.symbols.resource_value(name, index, node)
        if any(not c.is_named and c.type == "[?" for c in node.children):
            return f"tryGet({self.expr(obj, env)}, {index})"
        return f"{self.expr(obj, env)}[{index}]"

    def _call_expression(self, node: Any, env: dict[str, str]) -> str:
        func = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        args = [c for c in (args_node.named_children if args_node else []) if c.type != "comment"]
        if func.type == "member_expression":
            obj = func.child_by_field_name("object")
            method = text_of(func.child_by_field_name("property"))
            if obj.type == "identifier" and text_of(obj) in ("az", "sys"):
                return self._function(method, args, node, env)
            return self._method(obj, method, args, node, env)
        if func.type != "identifier":
            raise self.fail(func, "calling this expression")
        return self._function(text_of(func), args, node, env)

    def _function(self, name: str, args: list[Any], node: Any, env: dict[str, str]) -> str:
        user = self.symbols.function(name)
        if user is None and self.symbols.kind(name) == "type":
            raise self.fail(node, f"calling '{name}' ({_TYPE_ONLY})")
        lowered = [self.expr(a, env) for a in args]
        if user is not None:
            return f"{user}({', '.join(lowered)})"
        low = name.lower()
        if low == "any":
            if len(lowered) != 1:
                raise self.fail(node, "any() without exactly one argument")
            return lowered[0]
        if low in ("loadtextcontent", "loadjsoncontent", "loadfileasbase64", "loadyamlcontent"):
            raise self.fail(node, f"{name}()")
        return f"{name}({', '.join(lowered)})"

    def _method(
        self, obj: Any, method: str, args: list[Any], node: Any, env: dict[str, str]
    ) -> str:
        """``storage.listKeys()``, ``vault.getSecret('x')``: results known only at deployment."""
        if obj.type == "identifier" and self.symbols.kind(text_of(obj)) == "resource":
            rid = self.symbols.resource_member(text_of(obj), None, "id", obj)
            low = method.lower()
            if low.startswith("list"):
                extra = "".join(f", {self.expr(a, env)}" for a in args)
                return f"{method}({rid}, '2023-01-01'{extra})"
            if low == "getsecret":
                return f"listSecrets({rid}, '2023-01-01')"
        raise self.fail(node, f"method {method}()")

    # ---- lambdas and for-expressions -------------------------------------------------------

    def _lambda_expression(self, node: Any, env: dict[str, str]) -> str:
        return self._lambda(node, env, self.expr)

    def _lambda(
        self, node: Any, env: dict[str, str], body_of: Callable[[Any, dict[str, str]], str]
    ) -> str:
        named = [c for c in node.named_children if c.type != "comment"]
        if len(named) < 2:
            raise self.fail(node, "this lambda")
        heads = named[:-1]
        if len(heads) == 1 and heads[0].type == "parenthesized_expression":  # (a, b) => ...
            heads = [c for c in heads[0].named_children if c.type != "comment"]
        params = [text_of(n) for n in heads if n.type == "identifier"]
        if not params or len(params) != len(heads):
            raise self.fail(node, "lambda parameters other than names")
        inner = {**env, **{p: f"lambdaVariables({quote(p)})" for p in params}}
        body = body_of(named[-1], inner)
        return f"lambda({', '.join(quote(p) for p in params)}, {body})"

    def _for_statement(self, node: Any, env: dict[str, str]) -> str:
        item, index, source, body, cond = self.loop_parts(node)
        items = self.expr(source, env)
        var = f"__i{node.start_byte}"
        at = f"lambdaVariables({quote(var)})"
        inner = dict(env)
        if item:
            inner[item] = f"{items}[{at}]"
        if index:
            inner[index] = at
        indexes = f"range(0, length({items}))"
        if cond is not None:
            indexes = f"filter({indexes}, lambda({quote(var)}, {self.expr(cond, inner)}))"
        return f"map({indexes}, lambda({quote(var)}, {self.expr(body, inner)}))"

    def loop_parts(self, node: Any) -> tuple[str | None, str | None, Any, Any, Any]:
        """(item name, index name, source node, body node, filter condition or None)."""
        item = index = None
        init = node.child_by_field_name("initializer")
        if init is not None:
            item = text_of(init)
        source = body = None
        after_in = False
        for child in node.children:
            if child.type == "for_loop_parameters":
                names = [text_of(c) for c in child.named_children if c.type != "comment"]
                padded: list[str | None] = [*names, None, None]
                item, index = padded[0], padded[1]
            elif not child.is_named and child.type == "in":
                after_in = True
            elif after_in and child.is_named and child.type != "comment" and source is None:
                source = child
        body = node.child_by_field_name("body")
        if source is None or body is None:
            raise self.fail(node, "this for-expression")
        cond = None
        if body.type == "if_statement":
            parts = [c for c in body.named_children if c.type != "comment"]
            if len(parts) != 2:
                raise self.fail(body, "this loop filter")
            cond, body = parts
            if cond.type == "parenthesized_expression":
                cond = next(c for c in cond.named_children if c.type != "comment")
        return item, index, source, body, cond


def json_value(lowerer: Lowerer, node: Any, env: dict[str, str]) -> Any:
    """A Bicep value as ARM JSON: literals stay JSON, anything computed is a ``[...]`` string."""
    kind = node.type
    if kind == "string":
        text = literal_string(lowerer.file, node)
        if text is not None:
            return "[" + text if text.startswith("[") else text
    elif kind == "number":
        return int(lowerer.expr(node, env))
    elif kind == "boolean":
        return text_of(node) == "true"
    elif kind == "null":
        return None
    elif kind in ("object", "array") and lowerer.has_spread(node):
        pass  # an expression (shallowMerge / flatten), below
    elif kind == "object" and any(lowerer.computed_key(c) for c in node.named_children):
        pass  # an expression (createObject with a computed key), below
    elif kind == "object":
        out: dict[str, Any] = {}
        for prop in node.named_children:
            if prop.type != "comment":
                key, value = lowerer.property(prop)
                out[key] = json_value(lowerer, value, env)
        return out
    elif kind == "array":
        return [json_value(lowerer, c, env) for c in node.named_children if c.type != "comment"]
    return "[" + lowerer.expr(node, env) + "]"


__all__ = [
    "BicepError",
    "Lowerer",
    "json_value",
    "literal_string",
    "nested_symbol",
    "quote",
    "text_of",
    "unsupported",
    "where",
]
