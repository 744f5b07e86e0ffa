"""Operator precedence of Bicep expressions, restored over tree-sitter-bicep 1.1.0's trees.

The grammar binds postfix operators (``.p``, ``.?p``, ``[i]``, ``::c``, calls on members) more
loosely than binary, unary and ternary operators and lambdas: ``!a.b`` is read ``(!a).b``,
``x && y.?z != 'N'`` as ``((x && y).?z) != 'N'``, ``x ?? f().location`` as
``(x ?? f()).location``. The token order in the tree is still the source's, so an operator
expression is flattened back into its tokens and parsed again with Bicep's precedence
(highest first: postfix; ``!`` and unary ``-``; ``* / %``; ``+ -``; comparisons; ``== != =~
!~``; ``&&``; ``||``; ``??``; ``? :``; ``=>``). The result is built of :class:`Syn` nodes that
read like tree-sitter nodes (type, fields, children, position), so the lowering is unchanged.
Operands (names, literals, calls of names, parenthesized expressions, objects...) keep their
original nodes and are restored in turn when they are lowered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_BINARY_PREC = {
    "*": 7,
    "/": 7,
    "%": 7,
    "+": 6,
    "-": 6,
    "<": 5,
    "<=": 5,
    ">": 5,
    ">=": 5,
    "==": 4,
    "!=": 4,
    "=~": 4,
    "!~": 4,
    "&&": 3,
    "||": 2,
    "??": 1,
}
_POSTFIX_FIELD = {
    "member_expression": "object",
    "subscript_expression": "object",
    "resource_expression": "object",
}
OPERATORS = {"binary_expression", "unary_expression", "ternary_expression", "lambda_expression"}
_LOOSE = OPERATORS


class Syn:
    """A rebuilt node: ``base``'s type and tokens, with some of its children replaced."""

    is_named = True
    is_missing = False
    text: bytes | None = None
    fixed = True

    def __init__(self, base: Any, replace: dict[str, Any], first: Any) -> None:
        self.type = base.type
        self._base = base
        self._fields = replace
        self.start_point = first.start_point
        self.start_byte = first.start_byte
        self.end_byte = base.end_byte
        olds = {}
        for name, new in replace.items():
            old = base.child_by_field_name(name)
            if old is not None:
                olds[_key(old)] = new
        self.children = [olds.get(_key(c), c) for c in base.children]
        self.named_children = [c for c in self.children if c.is_named]

    def child_by_field_name(self, name: str) -> Any:
        """The child in field ``name`` (a replaced one, else the base node's)."""
        if name in self._fields:
            return self._fields[name]
        return self._base.child_by_field_name(name)


def _key(node: Any) -> tuple[int, int, str]:
    # tree-sitter makes a new wrapper per access: children are matched by span and type
    return (node.start_byte, node.end_byte, node.type)


@dataclass(slots=True)
class _Tok:
    kind: str  # atom | binary | prefix | lambda | postfix | call | ternary
    node: Any
    op: str = ""


def needs_fix(node: Any) -> bool:
    """True when ``node`` is an operator or postfix expression not yet restored."""
    if getattr(node, "fixed", False):
        return False
    return node.type in OPERATORS or node.type in _POSTFIX_FIELD or _method_call(node)


def _method_call(node: Any) -> bool:
    if node.type != "call_expression":
        return False
    func = node.child_by_field_name("function")
    return func is not None and func.type in _POSTFIX_FIELD


def restore(node: Any) -> Any:
    """``node`` with Bicep's operator precedence (itself when nothing was misread)."""
    tokens: list[_Tok] = []
    _flatten(node, tokens)
    if not any(t.kind in ("binary", "prefix", "lambda", "ternary") for t in tokens):
        return _mark(node)
    parser = _Parser(tokens)
    out = parser.expression(0)
    if parser.pos != len(tokens):  # never expected: the tokens came from one tree
        raise ValueError("operator tokens left over")
    return out


def _mark(node: Any) -> Any:
    if isinstance(node, Syn):
        return node
    return Syn(node, {}, node)


def _flatten(node: Any, out: list[_Tok]) -> None:
    kind = node.type
    if isinstance(node, Syn):
        out.append(_Tok("atom", node))
    elif kind == "binary_expression":
        _flatten(node.child_by_field_name("left"), out)
        op = node.child_by_field_name("operator")
        out.append(_Tok("binary", node, (op.text or b"").decode()))
        _flatten(node.child_by_field_name("right"), out)
    elif kind == "unary_expression":
        out.append(_Tok("prefix", node))
        _flatten(node.child_by_field_name("argument"), out)
    elif kind == "ternary_expression":
        _flatten(node.child_by_field_name("condition"), out)
        out.append(_Tok("ternary", node))  # the consequence is delimited: restored on its own
        _flatten(node.child_by_field_name("alternative"), out)
    elif kind == "lambda_expression":
        out.append(_Tok("lambda", node))
        _flatten([c for c in node.named_children if c.type != "comment"][-1], out)
    elif kind in _POSTFIX_FIELD:
        _flatten(node.child_by_field_name(_POSTFIX_FIELD[kind]), out)
        out.append(_Tok("postfix", node, _POSTFIX_FIELD[kind]))
    elif _method_call(node):
        _flatten(node.child_by_field_name("function"), out)
        out.append(_Tok("postfix", node, "function"))
    else:
        out.append(_Tok("atom", node))


class _Parser:
    """Precedence climbing over the flattened tokens."""

    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.pos = 0

    def _next(self) -> _Tok:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def _peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expression(self, min_prec: int) -> Any:
        left = self.unary()
        while (tok := self._peek()) is not None:
            if tok.kind == "ternary" and min_prec <= 0:
                self.pos += 1
                alternative = self.expression(0)  # right-associative
                cons = tok.node.child_by_field_name("consequence")
                left = Syn(
                    tok.node,
                    {"condition": left, "consequence": cons, "alternative": alternative},
                    left,
                )
                continue
            if tok.kind != "binary":
                break
            prec = _BINARY_PREC.get(tok.op)
            if prec is None:
                raise ValueError(f"operator '{tok.op}'")
            if prec < min_prec:
                break
            self.pos += 1
            right = self.expression(prec + 1)  # left-associative
            left = Syn(tok.node, {"left": left, "right": right}, left)
        return left

    def unary(self) -> Any:
        tok = self._next()
        if tok.kind == "prefix":
            argument = self.unary()
            return Syn(tok.node, {"argument": argument}, tok.node)
        if tok.kind == "lambda":
            body = self.expression(0)
            return _lambda(tok.node, body)
        if tok.kind != "atom":
            raise ValueError(f"unexpected {tok.kind}")
        value = tok.node
        while (nxt := self._peek()) is not None and nxt.kind == "postfix":
            self.pos += 1
            value = Syn(nxt.node, {nxt.op: value}, value)
        return value


class _LambdaSyn(Syn):
    def __init__(self, base: Any, body: Any) -> None:
        super().__init__(base, {}, base)
        named = [c for c in base.named_children if c.type != "comment"]
        old_body = named[-1]
        self.children = [body if _key(c) == _key(old_body) else c for c in base.children]
        self.named_children = [c for c in self.children if c.is_named]
        self.end_byte = body.end_byte


def _lambda(base: Any, body: Any) -> Any:
    return _LambdaSyn(base, body)


__all__ = ["OPERATORS", "Syn", "needs_fix", "restore"]
