"""One Bicep file lowered to an ARM template (languageVersion 2.0) with Bicep positions.

See :mod:`amlguard.iac.bicepread`. Declarations are collected first (so an expression may
name a symbol declared further down), then written out: parameters, variables, user
functions (and imported ones) as ``__bicep.*``, resources (nested child declarations and
``parent:`` give the full type and ``parent/child`` name, ``scope:`` an extension or
cross-group resource, loops ``copy``, conditions ``condition``), modules as nested
deployments, outputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlguard.iac.bicepexpr import (
    BicepError,
    Lowerer,
    literal_string,
    nested_symbol,
    quote,
    text_of,
    unsupported,
    where,
)
from amlguard.iac.bicepprepass import Marks
from amlguard.iac.bicepread import (
    _TOP_IGNORED,
    char_offsets,
    decorators_of,
    parse,
    read_text,
    registry_module,
)
from amlguard.iac.bicepwrite import write_template
from amlguard.iac.jsonpos import JsonDoc, Path_

_RESERVED_BODY = {"name", "parent", "scope", "dependson"}
_DEPLOYMENTS = "Microsoft.Resources/deployments"


@dataclass(slots=True)
class Decl:
    """A resource or module declaration."""

    kind: str  # resource | module
    symbol: str
    node: Any
    type: str = ""
    api: str = ""
    ref: str = ""  # module path
    existing: bool = False
    body: Any = None  # the object node
    cond: Any = None
    loop: tuple[Any, ...] | None = None  # (item, index, source node, filter node)
    parent: Decl | None = None
    props: dict[str, Any] = field(default_factory=dict)  # key (lower) -> (key, value node)


class FileLowering:
    """Collects a file's declarations and writes the ARM template (see the module text)."""

    def __init__(self, path: Path, text: str, parsed: tuple[Any, Marks]) -> None:
        self.path = path
        self.file = str(path)
        self.root, self.marks = parsed
        self.source: bytes = self.root.text or b""  # as parsed (after the pre-pass)
        self.to_char = char_offsets(text)
        self.offsets: dict[Path_, int] = {(): 0}
        self.lower = Lowerer(self, self.marks)
        self.scope = "resourceGroup"
        self.params: dict[str, tuple[Any, list[Any]]] = {}
        self.vars: dict[str, Any] = {}
        self.decls: dict[str, Decl] = {}
        self.funcs: dict[str, Any] = {}  # name -> user_defined_function node (this or imported)
        self.func_files: dict[str, FileLowering] = {}
        self.outputs: dict[str, Any] = {}
        self.types: set[str] = set()  # type names this file declares
        self.type_decls: dict[str, tuple[Any, list[tuple[str, list[Any]]]]] = {}
        self.type_imports: dict[str, str] = {}  # imported type name -> where from
        self._collect(self.root)

    # ---- positions --------------------------------------------------------------------------

    def nullable_type(self, type_node: Any) -> bool:
        """True when the pre-pass removed a ``?`` right after this parameter type."""
        end = type_node.end_byte
        return any(
            end <= at < end + 200 and not self.source[end:at].strip() for at in self.marks.nullable
        )

    def at(self, path: Path_, node: Any) -> None:
        """Record that ``path`` of the template is written at ``node``."""
        self.offsets[path] = self.to_char(node.start_byte)

    def at_value(self, path: Path_, node: Any) -> None:
        """Record every property and item of a value node under ``path``."""
        if node.type == "object":
            for prop in node.named_children:
                if prop.type == "object_property" and not self.lower.is_spread(prop):
                    key, value = self.lower.property(prop)
                    self.at((*path, key), prop)
                    self.at_value((*path, key), value)
        elif node.type == "array":
            items = [c for c in node.named_children if c.type != "comment"]
            for i, item in enumerate(items):
                self.at((*path, i), item)
                self.at_value((*path, i), item)

    # ---- collection -------------------------------------------------------------------------

    def _collect(self, root: Any) -> None:
        decorators: list[tuple[str, list[Any]]] = []
        for node in root.named_children:
            kind = node.type
            if kind == "decorators":
                decorators = decorators_of(node)
                continue
            if kind == "target_scope_assignment":
                value = next(c for c in node.named_children if c.type == "string")
                self.scope = literal_string(self.file, value) or "resourceGroup"
            elif kind == "parameter_declaration":
                name = text_of(node.named_children[0])
                self.params[name] = (node, decorators)
            elif kind == "variable_declaration":
                self.vars[text_of(node.named_children[0])] = node
            elif kind == "resource_declaration":
                self._check_decorators(node, decorators)
                self._resource(node, None)
            elif kind == "module_declaration":
                self._check_decorators(node, decorators)
                self._module(node)
            elif kind == "output_declaration":
                self.outputs[text_of(node.named_children[0])] = node
            elif kind == "user_defined_function":
                self.funcs[text_of(node.child_by_field_name("name"))] = node
                self.func_files[text_of(node.child_by_field_name("name"))] = self
            elif kind == "import_functionality":
                self._import(node)
            elif kind == "type_declaration":
                self.types.add(text_of(node.named_children[0]))
                self.type_decls[text_of(node.named_children[0])] = (node, decorators)
            elif kind not in _TOP_IGNORED:
                raise unsupported(self.file, node, f"'{kind}'")
            decorators = []

    def _check_decorators(self, node: Any, decorators: list[tuple[str, list[Any]]]) -> None:
        """Decorators that change what a resource or module deploys are not lowered."""
        for name, _ in decorators:
            if name not in ("description", "sys.description", "batchsize", "sys.batchsize"):
                raise unsupported(self.file, node, f"decorator @{name} on a declaration")

    def _value_parts(self, decl: Decl, value: Any) -> None:
        if value.type == "for_statement":
            item, index, source, body, cond = self.lower.loop_parts(value)
            decl.loop = (item, index, source, cond)
            value = body
        if value.type == "if_statement":
            parts = [c for c in value.named_children if c.type != "comment"]
            decl.cond, value = parts[0], parts[1]
        if value.type != "object":
            raise unsupported(self.file, value, f"a {decl.kind} body that is not an object")
        decl.body = value
        for prop in value.named_children:
            if prop.type == "object_property":
                inner = [c for c in prop.named_children if c.type != "comment"]
                if inner and inner[0].type == "resource_declaration":
                    self._resource(inner[0], decl)
                    continue
                key, val = self.lower.property(prop)
                decl.props[key.lower()] = (key, val, prop)
            elif prop.type == "resource_declaration":
                self._resource(prop, decl)
            elif prop.type != "comment":
                raise unsupported(self.file, prop, f"'{prop.type}' in a {decl.kind} body")

    def _resource(self, node: Any, parent: Decl | None) -> None:
        named = [c for c in node.named_children if c.type != "comment"]
        symbol = text_of(named[0])
        type_text = literal_string(self.file, named[1]) or ""
        rtype, _, api = type_text.partition("@")
        decl = Decl("resource", symbol, node, rtype, api, parent=parent)
        decl.existing = any(not c.is_named and c.type == "existing" for c in node.children)
        self._with_parent(decl, rtype)
        self._value_parts(decl, named[-1])
        if "parent" in decl.props:
            ref = decl.props["parent"][1]
            if ref.type != "identifier" or text_of(ref) not in self.decls:
                raise unsupported(self.file, ref, "this 'parent' (a resource symbol is)")
            decl.parent = self.decls[text_of(ref)]
            self._with_parent(decl, rtype)
        if decl.parent is not None and decl.parent.loop is not None:
            raise unsupported(self.file, node, "a child of a resource loop")
        if symbol in self.decls:
            raise BicepError(f"{where(self.file, named[0])}: '{symbol}' is declared twice")
        self.decls[symbol] = decl

    @staticmethod
    def _with_parent(decl: Decl, rtype: str) -> None:
        """A child's full type (``parent/child``) and, when it names none, its parent's api."""
        if decl.parent is None:
            return
        if "/" not in rtype:
            decl.type = f"{decl.parent.type}/{rtype}"
        if not decl.api:
            decl.api = decl.parent.api

    def _module(self, node: Any) -> None:
        named = [c for c in node.named_children if c.type != "comment"]
        ref = literal_string(self.file, named[1])
        if ref is None:
            raise unsupported(self.file, named[1], "an interpolated module path")
        decl = Decl("module", text_of(named[0]), node, _DEPLOYMENTS, "2022-09-01", ref)
        self._value_parts(decl, named[-1])
        self.decls[decl.symbol] = decl

    def _import(self, node: Any) -> None:
        """``import {a, b} from 'x'``: functions are lowered; types (which never change what a
        template deploys) are only noted, so a use of the name as a value is an error."""
        named = [c for c in node.named_children if c.type != "comment"]
        source = next((c for c in named if c.type == "string"), None)
        names = [text_of(c) for c in named if c.type == "identifier"]
        rel = literal_string(self.file, source) if source is not None else None
        if rel is None or not names or any(c.type not in ("identifier", "string") for c in named):
            raise unsupported(self.file, node, "this import (only 'import {a, b} from' is)")
        if _is_registry(rel):
            # a registry's exports are not read without the Bicep CLI: its names stay types
            # (exit 2 when one is used as a value or called, see Lowerer)
            for name in names:
                self.type_imports[name] = rel
            return
        other_path = self.path.parent / rel
        other_text = read_text(other_path)
        other = FileLowering(other_path, other_text, parse(other_text, str(other_path)))
        for name in names:
            if name in other.funcs:
                self.funcs[name] = other.funcs[name]
                self.func_files[name] = other
            elif name in other.types:
                self.type_imports[name] = rel
            else:
                raise BicepError(
                    f"{where(self.file, node)}: {rel} exports no function or type '{name}' "
                    "(imported variables are not read by the built-in Bicep reader)"
                )

    # ---- the Symbols protocol ---------------------------------------------------------------

    def kind(self, name: str) -> str | None:
        """What a name declares in this file."""
        if name in self.params:
            return "param"
        if name in self.vars:
            return "var"
        decl = self.decls.get(name)
        if decl is not None:
            return decl.kind
        return "type" if name in self.type_imports else None

    def function(self, name: str) -> str | None:
        """The ARM name of a user function (``__bicep.name``)."""
        return f"__bicep.{name}" if name in self.funcs else None

    def loop_env(self, decl: Decl, at: str | None) -> dict[str, str]:
        """Names a declaration's loop binds, at index ``at`` (None: the copy index)."""
        if decl.loop is None:
            return {}
        item, index, source, _ = decl.loop
        items = self.lower.expr(source, {})
        position = at if at is not None else "copyIndex()"
        if decl.loop[3] is not None:
            position = f"{self._indexes(decl)}[{position}]"
        env = {}
        if item:
            env[item] = f"{items}[{position}]"
        if index:
            env[index] = position
        return env

    def _indexes(self, decl: Decl) -> str:
        assert decl.loop is not None
        item, index, source, cond = decl.loop
        items = self.lower.expr(source, {})
        var = f"__i{decl.node.start_byte}"
        at = f"lambdaVariables({quote(var)})"
        env = {**({item: f"{items}[{at}]"} if item else {}), **({index: at} if index else {})}
        test = self.lower.expr(cond, env)
        return f"filter(range(0, length({items})), lambda({quote(var)}, {test}))"

    def name_expr(self, decl: Decl, at: str | None) -> str:
        """The full name of a declaration (``parent/child`` for a child resource)."""
        env = self.loop_env(decl, at)
        own = self.lower.expr(decl.props["name"][1], env) if "name" in decl.props else None
        if own is None:
            if decl.kind != "module":
                raise BicepError(f"{where(self.file, decl.node)}: resource without a name")
            own = quote(decl.symbol)
        if decl.parent is not None:
            return f"format('{{0}}/{{1}}', {self.name_expr(decl.parent, None)}, {own})"
        return own

    def id_expr(self, decl: Decl, at: str | None) -> str:
        """The resource id of a declaration, written as ``bicep build`` writes it."""
        name = self.name_expr(decl, at)
        if decl.kind == "module":
            return f"resourceId({quote(_DEPLOYMENTS)}, {name})"
        scope = self._scope_id(decl, at)
        if scope is not None:
            return f"extensionResourceId({scope}, {quote(decl.type)}, {name})"
        func = "subscriptionResourceId" if self.scope.lower() == "subscription" else "resourceId"
        return f"{func}({quote(decl.type)}, {name})"

    def _scope_id(self, decl: Decl, at: str | None = None) -> str | None:
        """The id a ``scope:`` names (an extension resource's target, another group)."""
        root = decl
        while root.parent is not None:
            root = root.parent
        if "scope" not in root.props:
            return None
        node = root.props["scope"][1]
        if node.type == "identifier" and text_of(node) in self.decls:
            return self.id_expr(self.decls[text_of(node)], None)
        if node.type == "resource_expression" and nested_symbol(self.file, node) in self.decls:
            return self.id_expr(self.decls[nested_symbol(self.file, node)], None)
        if node.type == "subscript_expression":
            obj = node.child_by_field_name("object")
            if text_of(obj) in self.decls:
                index = self.lower.expr(node.child_by_field_name("index"), {})
                return self.id_expr(self.decls[text_of(obj)], index)
        if node.type == "call_expression":
            func = text_of(node.child_by_field_name("function")).lower().removeprefix("az.")
            env = self.loop_env(root, at)
            args = [
                self.lower.expr(a, env)
                for a in node.child_by_field_name("arguments").named_children
            ]
            if func == "resourcegroup" and len(args) <= 2:
                sub = args[0] if len(args) == 2 else "subscription().subscriptionId"
                rg = args[-1] if args else "resourceGroup().name"
                return f"format('/subscriptions/{{0}}/resourceGroups/{{1}}', {sub}, {rg})"
            if func == "subscription" and len(args) <= 1:
                sub = args[0] if args else "subscription().subscriptionId"
                return f"format('/subscriptions/{{0}}', {sub})"
        raise unsupported(self.file, node, "this 'scope'")

    def _ref(self, decl: Decl, index: str | None) -> str:
        if index is None:
            return quote(decl.symbol)
        return f"format('{decl.symbol}[{{0}}]', {index})"

    def resource_member(self, name: str, index: str | None, member: str, node: Any) -> str:
        """``sym.member`` (``sym[i].member``) as ARM writes it."""
        decl = self.decls[name]
        low = member.lower()
        if low == "name":
            return self.name_expr(decl, index)
        if low == "id":
            return self.id_expr(decl, index)
        if low == "type":
            return quote(decl.type)
        if low == "apiversion":
            return quote(decl.api)
        if decl.kind == "module":
            if low == "outputs":
                return f"reference({self._ref(decl, index)}).outputs"
            raise unsupported(self.file, node, f"module property '{member}'")
        if low == "properties":
            return f"reference({self._ref(decl, index)})"
        return f"reference({self._ref(decl, index)}, {quote(decl.api)}, 'full').{member}"

    def resource_value(self, name: str, index: str | None, node: Any) -> str:
        """A bare resource or module symbol used as a value."""
        decl = self.decls[name]
        if decl.kind == "module":
            return f"reference({self._ref(decl, index)})"
        return f"reference({self._ref(decl, index)}, {quote(decl.api)}, 'full')"

    # ---- writing the template -----------------------------------------------------------------

    def template(self) -> dict[str, Any]:
        """The ARM template (languageVersion 2.0)."""
        return write_template(self)


def _is_registry(ref: str) -> bool:
    """True for a registry or template-spec reference (``br:``, ``br/alias:``, ``ts:``)."""
    return re.match(r"^(br|ts)(/[^:]*)?:", ref) is not None


def lower_file(path: Path) -> JsonDoc:
    """A ``.bicep`` file as the ARM template ``bicep build`` would write (positions in Bicep)."""
    text = read_text(path)
    lowering = FileLowering(path, text, parse(text, str(path)))
    doc = JsonDoc(lowering.template(), str(path), text)
    doc.offsets = lowering.offsets
    doc.best_effort = True
    return doc


__all__ = ["Decl", "FileLowering", "lower_file", "registry_module"]
