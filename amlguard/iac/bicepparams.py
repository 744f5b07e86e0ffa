"""``.bicepparam`` files for the built-in Bicep reader (best effort).

tree-sitter-bicep 1.1.0 has no grammar for parameter files (``param name = value`` without a
type is a syntax error to it), so each ``param`` keyword is read as ``var`` (same length, so
every position stays where it is) and the file parsed as Bicep. Values must be literals
(strings without interpolation, numbers, booleans, null, objects and arrays of them); anything
computed (``getSecret()``, ``readEnvironmentVariable()``, a variable) is an input error at its
``file:line:col``, as is any statement other than ``using`` and ``param``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from amlguard.iac.bicepexpr import BicepError, Lowerer, json_value, text_of, unsupported
from amlguard.iac.bicepread import char_offsets, parse, read_text
from amlguard.iac.jsonpos import JsonDoc, Path_

_PARAM = re.compile(r"^([ \t]*)param(?=[ \t]+\w+[ \t]*=)", re.M)


class _NoSymbols:
    def __init__(self, file: str) -> None:
        self.file = file

    def kind(self, name: str) -> str | None:
        return None

    def resource_member(self, name: str, index: str | None, member: str, node: Any) -> str:
        raise unsupported(self.file, node, "a resource in a parameter file")

    def resource_value(self, name: str, index: str | None, node: Any) -> str:
        raise unsupported(self.file, node, "a resource in a parameter file")

    def function(self, name: str) -> str | None:
        return None


def _computed(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("[") and not value.startswith("[[")
    if isinstance(value, dict):
        return any(_computed(v) for v in value.values())
    if isinstance(value, list):
        return any(_computed(v) for v in value)
    return False


def read_params(path: Path) -> JsonDoc:
    """A ``.bicepparam`` file as an ARM parameter file (positions in the ``.bicepparam``)."""
    text = read_text(path)
    file = str(path)
    root, marks = parse(_PARAM.sub(lambda m: m.group(1) + "var  ", text), file)
    lower = Lowerer(_NoSymbols(file), marks)
    to_char = char_offsets(text)
    offsets: dict[Path_, int] = {(): 0}
    params: dict[str, Any] = {}
    for node in root.named_children:
        if node.type in ("comment", "using_statement"):
            continue
        if node.type != "variable_declaration":
            raise unsupported(file, node, f"'{node.type}' in a parameter file")
        named = [c for c in node.named_children if c.type != "comment"]
        name, value_node = text_of(named[0]), named[-1]
        try:
            value = json_value(lower, value_node, {})
        except BicepError:
            value = "[computed]"
        if _computed(value):
            raise unsupported(file, value_node, f"the computed value of parameter '{name}'")
        params[name] = {"value": value}
        offsets[("parameters", name)] = to_char(node.start_byte)
        offsets[("parameters", name, "value")] = to_char(value_node.start_byte)
    doc = JsonDoc({"parameters": params}, file, text)
    doc.offsets = offsets
    doc.best_effort = True
    return doc


def using_target(path: Path) -> str | None:
    """The template a ``.bicepparam`` file's ``using`` line names, if any."""
    found = re.search(r"^\s*using\s+'([^']+)'", read_text(path), re.M)
    return found.group(1) if found else None


__all__ = ["read_params", "using_target"]
