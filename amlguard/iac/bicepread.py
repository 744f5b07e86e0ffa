"""The built-in Bicep reader (best effort): a ``.bicep`` file lowered to the ARM template that
``bicep build`` would write, on tree-sitter-bicep (the optional extra ``amlguard[bicep]``).

Used only when no Bicep CLI is found. The template is languageVersion 2.0 (resources keyed by
symbolic name); modules become nested deployments linked by ``templateLink.relativePath`` to
their ``.bicep`` file (lowered in turn, so every location is in the Bicep source), registry
modules are read from the local restore cache (``~/.bicep/br/...``). What the reader does not
understand, a syntax error node included, is an input error at ``file:line:col`` (exit 2).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from amlguard.iac.bicepexpr import (
    BicepError,
    Lowerer,
    json_value,
    literal_string,
    quote,
    text_of,
    unsupported,
    where,
)
from amlguard.iac.bicepprepass import Marks, rewrite
from amlguard.iac.jsonpos import Path_

BEST_EFFORT = "built-in Bicep reader: best effort"
_SCHEMAS = {
    "resourcegroup": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "subscription": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
    "managementgroup": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
    "tenant": "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#",
}
_PRIMITIVES = {"string", "int", "bool", "object", "array"}
_IGNORED_DECORATORS = {
    "description",
    "metadata",
    "minlength",
    "maxlength",
    "minvalue",
    "maxvalue",
    "batchsize",
    "export",
    "sealed",
    "discriminator",
    "sys.description",
}
_REGISTRY_ALIASES = {"br/public": "mcr.microsoft.com/bicep"}
_TOP_IGNORED = {"comment", "metadata_declaration", "type_declaration"}


def available() -> bool:
    """True when the ``bicep`` extra (tree-sitter and its Bicep grammar) is installed."""
    try:
        _parser()
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_bicep

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


def parse(text: str, file: str) -> tuple[Any, Marks]:
    """The syntax tree of Bicep text (after the same-length rewrite of
    :mod:`amlguard.iac.bicepprepass`) and what was rewritten; a syntax error node is an input
    error at its position."""
    rewritten, marks = rewrite(text)
    tree = _parser().parse(rewritten.encode("utf-8"))
    root = tree.root_node
    if root.has_error:
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type == "ERROR" or node.is_missing:
                what = f"missing '{node.type}'" if node.is_missing else "a syntax error"
                raise BicepError(
                    f"{where(file, node)}: {what} (tree-sitter-bicep does not read this; the "
                    "built-in Bicep reader is best effort: the Bicep CLI reads all of Bicep)"
                )
            if node.has_error:
                stack.extend(reversed(node.children))
    return root, marks


def read_text(path: Path) -> str:
    """A Bicep file's text; InputError when it cannot be read."""
    from amlguard import inputfile

    return inputfile.read_text(path, "Bicep file")  # bounded; a FIFO or device is refused


def char_offsets(text: str) -> Any:
    """A function from a UTF-8 byte offset of ``text`` to its character offset."""
    if text.isascii():
        return lambda b: b
    starts = []
    pos = 0
    for ch in text:
        starts.append(pos)
        pos += len(ch.encode("utf-8"))
    import bisect

    return lambda b: bisect.bisect_right(starts, b) - 1


def registry_module(file: str, node: Any, ref: str) -> Path:
    """The restored ``main.json`` of a registry module (``br/public:...``, ``br:...``)."""
    kind, _, rest = ref.partition(":")
    if kind == "ts" or kind.startswith("ts/"):
        raise unsupported(file, node, f"template spec module '{ref}'")
    registry, _, module = rest.partition("/") if kind == "br" else ("", "", rest)
    if kind != "br":
        alias = _REGISTRY_ALIASES.get(kind)
        if alias is None:
            raise unsupported(file, node, f"registry alias '{kind}'")
        registry, _, base = alias.partition("/")
        module = f"{base}/{module}"
    repo, _, tag = module.partition(":")
    home = Path(os.environ.get("BICEP_CACHE") or Path.home() / ".bicep")
    cached = home / "br" / registry / repo.replace("/", "$") / f"{tag}$" / "main.json"
    if not cached.is_file():
        raise BicepError(
            f"{where(file, node)}: registry module '{ref}' is not in the local restore cache "
            f"({cached}); run 'bicep restore' where the registry is reachable, or use the "
            "Bicep CLI"
        )
    return cached


def decorators_of(node: Any) -> list[tuple[str, list[Any]]]:
    """(lower-cased name, argument nodes) of a ``decorators`` node."""
    out = []
    for deco in node.named_children:
        call = next((c for c in deco.named_children if c.type != "comment"), None)
        if call is None:
            continue
        if call.type == "call_expression":
            func = call.child_by_field_name("function")
            args = call.child_by_field_name("arguments")
            name = text_of(func).lower()
            out.append((name, [c for c in (args.named_children if args else [])]))
        else:
            out.append((text_of(call).lower(), []))
    return out


def param_type(type_node: Any, decorators: list[tuple[str, list[Any]]]) -> dict[str, Any]:
    """The ARM declaration parts a Bicep parameter type gives: type, nullable, secure."""
    text = re.sub(r"\s+", "", text_of(type_node)) if type_node is not None else "object"
    spec: dict[str, Any] = {}
    if text.endswith("?"):
        spec["nullable"] = True
        text = text[:-1]
    if text in _PRIMITIVES:
        kind = text
    elif text.endswith("[]"):
        kind = "array"
    elif re.fullmatch(r"'[^']*'(\|'[^']*')*", text):
        kind = "string"
    else:
        kind = "object"
    if any(name in ("secure", "sys.secure") for name, _ in decorators):
        kind = {"string": "securestring", "object": "secureObject"}.get(kind, kind)
    spec["type"] = kind
    return spec


def schema_for(scope: str) -> str:
    """The ``$schema`` of a target scope (``resourceGroup`` by default)."""
    return _SCHEMAS.get(scope.lower(), _SCHEMAS["resourcegroup"])


__all__ = [
    "BEST_EFFORT",
    "BicepError",
    "Lowerer",
    "Path_",
    "available",
    "json_value",
    "literal_string",
    "quote",
]
