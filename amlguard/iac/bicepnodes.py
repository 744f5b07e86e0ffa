"""Reading tree-sitter-bicep nodes: text, positions, strings, and the reader's error.

Shared by the built-in Bicep reader's modules (:mod:`amlguard.iac.bicepexpr`,
:mod:`amlguard.iac.bicepfile`, :mod:`amlguard.iac.bicepparams`).
"""

from __future__ import annotations

import re
from typing import Any

from amlguard.errors import InputError

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", "$": "$"}


class BicepError(InputError):
    """Bicep the built-in reader cannot lower; the message starts with ``file:line:col``."""


def quote(text: str) -> str:
    """An ARM string literal."""
    return "'" + text.replace("'", "''") + "'"


def where(file: str, node: Any) -> str:
    """``file:line:col`` of a node (1-based)."""
    row, col = node.start_point
    return f"{file}:{row + 1}:{col + 1}"


def unsupported(file: str, node: Any, what: str) -> BicepError:
    """The error for a construct the reader does not lower."""
    return BicepError(
        f"{where(file, node)}: {what} is not supported by the built-in Bicep reader (best "
        "effort); install the Bicep CLI (or set AMLGUARD_BICEP) to compile it exactly"
    )


def text_of(node: Any) -> str:
    """A node's source text."""
    return (node.text or b"").decode("utf-8", "replace")


def string_parts(file: str, node: Any) -> list[str | Any]:
    """A string node as literal pieces and interpolated expression nodes, in order."""
    parts: list[str | Any] = []
    multi = text_of(node).startswith("'''")
    for child in node.children:
        if child.type == "string_content":
            parts.append(text_of(child))
        elif child.type == "escape_sequence":
            raw = text_of(child)
            if raw.startswith("\\u{") and raw.endswith("}"):
                try:
                    parts.append(chr(int(raw[3:-1], 16)))
                except ValueError:
                    raise unsupported(file, child, f"escape {raw}") from None
            elif raw[1:] in _ESCAPES:
                parts.append(_ESCAPES[raw[1:]])
            else:
                raise unsupported(file, child, f"escape {raw}")
        elif child.type == "interpolation":
            inner = [c for c in child.named_children if c.type != "comment"]
            if len(inner) != 1:
                raise unsupported(file, child, "this interpolation")
            parts.append(inner[0])
        elif child.is_named and child.type != "comment":
            raise unsupported(file, child, f"'{child.type}' in a string")
    if multi and parts and isinstance(parts[0], str):
        # a multi-line string drops the line break right after its opening quotes
        parts[0] = re.sub(r"^\r?\n", "", parts[0])
    return parts


def nested_symbol(file: str, node: Any) -> str:
    """The symbol ``parent::child`` names (a nested declaration: the child's own symbol)."""
    names = [text_of(c) for c in node.named_children if c.type == "identifier"]
    if not names:
        raise unsupported(file, node, "this '::' expression")
    return names[-1]


def literal_string(file: str, node: Any) -> str | None:
    """The value of a string without interpolation; None when it interpolates."""
    parts = string_parts(file, node)
    if all(isinstance(p, str) for p in parts):
        return "".join(p for p in parts if isinstance(p, str))
    return None
