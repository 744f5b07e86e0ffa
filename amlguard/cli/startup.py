"""Start-up work the process entry point keeps from one run to the next: dataclass methods.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__setattr__``...
as source text and compiles it with ``exec`` while the module is imported: 225 functions for the
modules a snapshot check imports, ~25 ms of CPU in every process, a tenth of a small check.
The text is a pure function of the class definition, and ``exec(text, g, l)`` is
``exec(compile(text, "<string>", "exec"), g, l)``; so the entry point (:func:`amlguard.cli.main`,
and nothing else) gives :mod:`dataclasses` an ``exec`` that compiles each distinct text once
and keeps the code objects in a file of their own next to the parse cache
(:mod:`amlguard.scanner.parsecache`), named after the parse cache's stamp (amlguard's version,
the interpreter, the schemas) and the interpreter's exact build, keyed inside on the text
itself. (Not in the parse cache's own file, which every checkout sharing a cache folder reads
whole.) A text the file lacks is compiled as before; a missing, torn or unreadable file only
costs the compile. The file is written whole or not at all (temporary file, then rename).
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import sys
from types import CodeType
from typing import Any

from amlguard import cachefile

#: One file per interpreter build (bytecode differs between builds) and parse cache stamp.
_KEY = f"dataclass methods for {sys.version}"
_MAGIC = b"amlguard-startup\n"
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


def _path() -> str | None:
    """This interpreter's and checkout's file of code objects; None when caching is off."""
    from amlguard.scanner import parsecache

    where, stamp = parsecache.cache_file(), parsecache.stamp()
    if where is None or stamp is None:
        return None
    tag = parsecache.blake2b(repr((_KEY, stamp)).encode(), digest_size=10).hexdigest()
    return os.path.join(os.path.dirname(where), f"startup-{tag}")


def _read(path: str) -> dict[str, CodeType]:
    codes = cachefile.read(path, _MAGIC)
    if not isinstance(codes, dict):
        return {}
    return {t: c for t, c in codes.items() if type(t) is str and type(c) is CodeType}


def install() -> None:
    """Give :mod:`dataclasses` the caching ``exec`` and :mod:`re` its code cache
    (:mod:`amlguard.regexcache`); the process entry point only."""
    from amlguard import regexcache

    regexcache.install()
    if not _fits():
        return
    path = _path()
    if path is not None:
        _codes.update(_read(path))
    dataclasses.exec = _exec  # type: ignore[attr-defined]


def save() -> None:
    """Write the code of texts (and regexes) compiled in this run back (nothing when warm)."""
    global _compiled
    from amlguard import regexcache

    regexcache.save()
    if not _compiled:
        return
    _compiled = False
    path = _path()
    if path is None:
        return
    kept = _codes if len(_codes) <= MAX_TEXTS else {t: _codes[t] for t in _used}
    cachefile.write(path, _MAGIC, kept)


def installed() -> bool:
    """True when :func:`install` took effect in this process."""
    return vars(dataclasses).get("exec") is _exec
