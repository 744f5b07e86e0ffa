"""ARM template expressions: ``[concat(parameters('a'), '-x')[0].name]`` into a small AST.

A JSON string is an expression when it starts with ``[`` and ends with ``]``; ``[[`` escapes a
literal leading bracket. The grammar: a function call ``name(args)`` (``ns.name`` for a user
function), a string ``'it''s'``, an integer, followed by any number of ``.prop`` and ``[expr]``
accessors. Nodes are tuples, cheap to build and compare:

- ``("lit", value)``
- ``("call", name, (args...), column)`` -- ``name`` as written; looked up case-insensitively
- ``("prop", node, name)``
- ``("idx", node, index_node)``
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

Node = tuple[Any, ...]


class ExprError(ValueError):
    """An expression that does not parse; ``column`` is 1-based within the expression text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


def is_expression(text: str) -> bool:
    """True for ``[...]`` strings (not ``[[`` escapes)."""
    return len(text) >= 2 and text[0] == "[" and text[-1] == "]" and text[1] != "["


def unescape(text: str) -> str:
    """A literal string as ARM reads it: ``[[x]`` is ``[x]``."""
    if text.startswith("[[") and text.endswith("]"):
        return text[1:]
    return text


_IDENT_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_IDENT = _IDENT_START | set("0123456789.")
_SPACE = " \t\r\n"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> ExprError:
        return ExprError(message, self.pos + 2)  # +1 for the '[', +1 to be 1-based

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "the end"
            raise self.fail(f"expected {ch!r}, found {found}")
        self.pos += 1

    def parse(self) -> Node:
        node = self.expression()
        if self.peek():
            raise self.fail(f"unexpected {self.text[self.pos]!r} after the expression")
        return node

    def expression(self) -> Node:
        node = self.primary()
        while True:
            ch = self.peek()
            if ch == ".":
                self.pos += 1
                self.skip()
                start = self.pos
                while self.pos < len(self.text) and (
                    self.text[self.pos] in _IDENT_START or self.text[self.pos].isdigit()
                ):
                    self.pos += 1
                if start == self.pos:
                    raise self.fail("expected a property name after '.'")
                node = ("prop", node, self.text[start : self.pos])
            elif ch == "[":
                self.pos += 1
                index = self.expression()
                self.expect("]")
                node = ("idx", node, index)
            else:
                return node

    def primary(self) -> Node:
        ch = self.peek()
        if ch == "'":
            return ("lit", self.string())
        if ch.isdigit() or ch == "-":
            return ("lit", self.number())
        if ch in _IDENT_START:
            return self.call()
        if not ch:
            raise self.fail("expected an expression, found the end")
        raise self.fail(f"unexpected {ch!r}")

    def string(self) -> str:
        start = self.pos
        self.pos += 1
        out = []
        while True:
            end = self.text.find("'", self.pos)
            if end < 0:
                self.pos = start
                raise self.fail("unterminated string")
            out.append(self.text[self.pos : end])
            if self.text[end + 1 : end + 2] == "'":
                out.append("'")
                self.pos = end + 2
                continue
            self.pos = end + 1
            return "".join(out)

    def number(self) -> int | float:
        start = self.pos
        if self.text[self.pos] == "-":
            self.pos += 1
        while self.pos < len(self.text) and (self.text[self.pos].isdigit()):
            self.pos += 1
        if (
            self.text[self.pos : self.pos + 1] == "."
            and self.text[self.pos + 1 : self.pos + 2].isdigit()
        ):
            self.pos += 1
            while self.pos < len(self.text) and self.text[self.pos].isdigit():
                self.pos += 1
            try:
                return float(self.text[start : self.pos])
            except ValueError:
                raise self.fail("malformed number") from None
        digits = self.text[start : self.pos]
        if digits in ("", "-"):
            raise self.fail("malformed number")
        return int(digits)

    def call(self) -> Node:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _IDENT:
            self.pos += 1
        name = self.text[start : self.pos]
        column = start + 2
        if name.endswith(".") or ".." in name:
            raise self.fail(f"malformed function name {name!r}")
        self.expect("(")
        args: list[Node] = []
        if self.peek() == ")":
            self.pos += 1
            return ("call", name, tuple(args), column)
        while True:
            args.append(self.expression())
            ch = self.peek()
            if ch == ",":
                self.pos += 1
                continue
            if ch == ")":
                self.pos += 1
                return ("call", name, tuple(args), column)
            found = repr(ch) if ch else "the end"
            raise self.fail(f"expected ',' or ')' in the arguments of {name}, found {found}")


@lru_cache(maxsize=65536)
def parse(text: str) -> Node:
    """Parse the inside of an expression string (without the brackets)."""
    return _Parser(text).parse()


def parse_expression(text: str) -> Node:
    """Parse a whole ``[...]`` expression string."""
    return parse(text[1:-1])


def render(node: Node) -> str:
    """The expression text of a node (a canonical spelling; parses back to the same node)."""
    kind = node[0]
    if kind == "lit":
        value = node[1]
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        return str(value)
    if kind == "call":
        return f"{node[1]}({', '.join(render(a) for a in node[2])})"
    if kind == "prop":
        return f"{render(node[1])}.{node[2]}"
    return f"{render(node[1])}[{render(node[2])}]"


def functions_used(node: Node) -> list[tuple[str, int]]:
    """Every function called in a node: (name, column)."""
    out: list[tuple[str, int]] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        kind = cur[0]
        if kind == "call":
            out.append((cur[1], cur[3]))
            stack.extend(cur[2])
        elif kind == "prop":
            stack.append(cur[1])
        elif kind == "idx":
            stack.extend((cur[1], cur[2]))
    return out
