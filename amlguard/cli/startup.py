"""Start-up work the process entry point keeps from one run to the next: dataclass methods.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__setattr__``...
as source text and compiles it with ``exec`` while the module is imported: 225 functions for the
modules a snapshot check imports, ~25 ms of CPU in every process, a tenth of a small check.
The text is a pure function of the class definition, and ``exec(text, g, l)`` is
``exec(compile(text, "<string>", "exec"), g, l)``; so the entry point (:func:`amlguard.cli.main`,
and nothing else) gives :mod:`dataclasses` an ``exec`` that compiles each distinct text once
and keeps the code objects in the warm parse cache (:mod:`amlguard.scanner.parsecache`), keyed
on the text itself and on the interpreter's exact build. A text the cache lacks is compiled as
before; a missing, stale or unreadable cache only costs the compile.
"""

from __future__ import annotations

import builtins
import dataclasses
import sys
from types import CodeType
from typing import Any

#: The parse cache entry: one per interpreter build (bytecode differs between builds).
_KEY = f"dataclass methods for {sys.version}"
#: A cache that outgrew this (texts of classes edited away) keeps only this run's texts.
MAX_TEXTS = 2000

_codes: dict[str, CodeType] = {}
_used: set[str] = set()
_compiled = False  # a text was compiled in this process: the cache is worth writing back


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> Any:
    """``exec``, with the code of a source text it has seen before reused."""
    global _compiled
    if type(source) is str:
        code = _codes.get(source)
        if code is None:
            # What exec(text) does: flags of the calling module (dataclasses has no
            # __future__ imports, checked by install), file name "<string>".
            code = _codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
            _compiled = True
        _used.add(source)
        source = code
    return builtins.exec(source, globals, locals)


def _fits() -> bool:
    """Whether dataclasses still compiles its texts as this module assumes."""
    module: Any = dataclasses
    return (
        sys.implementation.name == "cpython"
        and "exec" not in vars(module)
        and not any(
            getattr(getattr(module, name, None), "compiler_flag", 0)
            for name in ("annotations", "generator_stop", "barry_as_FLUFL")
        )
    )


def install() -> None:
    """Give :mod:`dataclasses` the caching ``exec`` (the process entry point only)."""
    if not _fits():
        return
    from amlguard.scanner import parsecache

    cached = parsecache.get("startup", _KEY, ())
    if isinstance(cached, dict):
        _codes.update(
            (text, code)
            for text, code in cached.items()
            if type(text) is str and type(code) is CodeType
        )
    dataclasses.exec = _exec  # type: ignore[attr-defined]


def save() -> None:
    """Write the code of texts compiled in this run back to the cache (nothing when warm)."""
    global _compiled
    if not _compiled:
        return
    _compiled = False
    from amlguard.scanner import parsecache

    kept = _codes if len(_codes) <= MAX_TEXTS else {t: _codes[t] for t in _used}
    parsecache.put("startup", _KEY, (), parsecache.encode(kept))
    parsecache.save()


def installed() -> bool:
    """True when :func:`install` took effect in this process."""
    return vars(dataclasses).get("exec") is _exec
