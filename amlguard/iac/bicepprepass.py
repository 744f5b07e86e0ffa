"""Bicep syntax newer than tree-sitter-bicep 1.1.0, rewritten before parsing (same length).

tree-sitter-bicep 1.1.0 (the newest on PyPI) does not read four constructs Azure Verified
Modules use; the built-in reader rewrites each in place, character for character, so every
position (line, column, byte) stays that of the source, and records what it rewrote:

* a nullable user-defined parameter type (``param p myType?``) followed by a declaration that is
  not decorated: the grammar then reads the ``?`` as a ternary. The ``?`` becomes a space and
  its offset is recorded, so the parameter is still ``nullable``.
* resource-derived types (``resourceInput<'T@v'>.properties``, ``resourceOutput<...>``): only
  ever types, which never change what a template deploys; written as ``object`` (what
  ``bicep build`` declares for an object-valued one). No check uses a parameter's type.
* linter pragmas (``#disable-next-line rule``), which the grammar reads only between
  declarations: blanked (they never change the template).
* the non-null assertion (``x.?y!``), which has no effect on a value (``bicep build`` drops
  it): a space.
* spread (``...expr``) in an object or an array: ``...`` becomes ``__:`` (an object property)
  or three spaces (an array item), and the property's or item's offset is recorded, so the
  lowering writes ``shallowMerge()``/``flatten()`` as ``bicep build`` does.

Only code is rewritten (never text inside strings or comments); a file with none of these
constructs (a quick search) is returned as it is. Whatever still does not parse is reported at
its position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DERIVED = re.compile(r"resource(?:Input|Output)<\s*'[^'\n]*'\s*>(?:\.[A-Za-z_]\w*|\[\*\])*")
_PRAGMA = re.compile(r"#(disable-next-line|disable-diagnostics|restore-diagnostics)\b")
_POSTFIX_AFTER = re.compile(r"[A-Za-z0-9_)\]]")
_NULLABLE_PARAM = re.compile(
    r"param[ \t]+[A-Za-z_]\w*[ \t]+[A-Za-z_][\w.]*(?:\[\])?[ \t]*(\?)[ \t]*(?://[^\r\n]*)?\r?(?=\n|$)"
)


@dataclass(slots=True)
class Marks:
    """Byte offsets of what the pre-pass rewrote."""

    nullable: set[int] = field(default_factory=set)  # where a param type's '?' was
    object_spreads: set[int] = field(default_factory=set)  # start of the '__:' property
    array_spreads: set[int] = field(default_factory=set)  # start of the spread item

    def __bool__(self) -> bool:
        return bool(self.nullable or self.object_spreads or self.array_spreads)


_CANDIDATE = re.compile(
    r"\.\.\.|[A-Za-z0-9_)\]]!(?!=)|#(?:disable|restore)-|resource(?:Input|Output)<"
    r"|^[ \t]*param[^\n]*\?[ \t]*(?://[^\n]*)?\r?$",
    re.MULTILINE,
)


def rewrite(text: str) -> tuple[str, Marks]:
    """``text`` with the constructs of the module text rewritten in place, and their marks."""
    if _CANDIDATE.search(text) is None:
        return text, Marks()
    out = list(text)
    marks = Marks()
    chars: list[int] = []  # character offsets of marks, converted to bytes at the end
    kinds: list[str] = []
    stack: list[str] = []  # open '{', '[', '(' and '${' (an interpolation)
    i, n = 0, len(text)
    in_string = False
    line_start = True
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\":
                i += 2
                continue
            if c == "'":
                in_string = False
            elif text.startswith("${", i):
                stack.append("${")
                in_string = False
                i += 2
                continue
            i += 1
            continue
        if line_start and not stack and text.startswith("param", i):
            m = _NULLABLE_PARAM.match(text, i)
            if m:
                out[m.start(1)] = " "
                chars.append(m.start(1))
                kinds.append("nullable")
        if c == "#" and _PRAGMA.match(text, i) and not text[text.rfind("\n", 0, i) + 1 : i].strip():
            end = text.find("\n", i)
            end = n if end < 0 else end
            out[i:end] = " " * (end - i)  # a linter pragma: no effect on the template
            i = end
            continue
        line_start = c == "\n"
        if text.startswith("'''", i):
            end = text.find("'''", i + 3)
            i = n if end < 0 else end + 3
        elif c == "'":
            in_string = True
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c in "{[(":
            stack.append(c)
            i += 1
        elif c in "}])":
            if stack and stack[-1] == "${" and c == "}":
                in_string = True
            if stack:
                stack.pop()
            i += 1
        elif c == "!" and i and _POSTFIX_AFTER.match(text[i - 1]) and not text.startswith("!=", i):
            out[i] = " "  # a non-null assertion: no effect on the value (bicep build drops it)
            i += 1
        elif text.startswith("...", i) and stack and stack[-1] in "{[":
            if stack[-1] == "{":
                out[i : i + 3] = "__:"
                chars.append(i)
                kinds.append("object")
            else:
                out[i : i + 3] = "   "
                j = i + 3
                while j < n and text[j] in " \t\r\n":
                    j += 1
                chars.append(j)
                kinds.append("array")
            i += 3
        elif (c == "r" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.$"))) and (
            m := _DERIVED.match(text, i)
        ):
            out[i : m.end()] = "object".ljust(m.end() - i)
            i = m.end()
        else:
            i += 1
    new = "".join(out)
    if chars:
        encoded = None if text.isascii() else [len(ch.encode("utf-8")) for ch in text]
        for at, kind in zip(chars, kinds, strict=True):
            offset = at if encoded is None else sum(encoded[:at])
            {"nullable": marks.nullable, "object": marks.object_spreads}.get(
                kind, marks.array_spreads
            ).add(offset)
    return new, marks


__all__ = ["Marks", "rewrite"]
