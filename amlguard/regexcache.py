"""Start-up work the process entry point keeps from one run to the next: compiled regexes.

A snapshot check compiles ~50 regular expressions in every process (amlguard's own, click's,
and the standard library's: ``platform``, ``tokenize``, ``json``, ``string``, ``shlex``), about
48 million instructions, a few per cent of a small check. ``re`` compiles a pattern in pure
Python (parse, then emit a list of integer codes) and hands the list to ``_sre.compile``; the
list is a pure function of the pattern text, its flags and the ``_sre`` engine. So the entry
point (``python -m amlguard``, :func:`amlguard.cli.main`; nothing else) gives
:mod:`re`'s compiler a front that keeps, per (pattern, flags), the arguments it passed to
``_sre.compile``, in a file of their own next to the parse cache
(:mod:`amlguard.scanner.parsecache`), named after the interpreter's exact build and the
engine's magic number, and reuses them in later processes.

Nothing from the file is trusted blindly: a torn or corrupted file (CRC) is ignored whole, an
entry of the wrong shape is skipped, and ``_sre.compile`` validates the code it is given
(an invalid list raises, and the pattern is then compiled as usual). A missing, unreadable or
read-only cache folder only costs the compile. Patterns with the DEBUG flag, and already parsed
patterns (``re.Scanner``), always go to the real compiler.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from amlguard import cachefile

_MAGIC = b"amlguard-regex\n"
#: A cache that outgrew this (patterns of code edited away) keeps only this run's patterns.
MAX_PATTERNS = 1000

# (is bytes, pattern, flags) -> the arguments of _sre.compile after the pattern
_Entry = tuple[int, list[int], int, dict[str, int], tuple[Any, ...]]
_entries: dict[tuple[bool, Any, int], _Entry] = {}
_used: set[tuple[bool, Any, int]] = set()
_state = {"compiled": False, "installed": False}
_real: Any = None  # the compile function :func:`install` put the front before
_compiler: Any = None  # re._compiler, once installed


def _engine() -> Any:
    """``re``'s compiler module (``re._compiler``; ``sre_compile`` before 3.11), or None."""
    import re

    return getattr(re, "_compiler", None)


def _fits() -> bool:
    """Whether this interpreter's ``re`` compiles the way :func:`_compile` repeats."""
    compiler = _engine()
    return (
        sys.implementation.name == "cpython"
        and compiler is not None
        and all(hasattr(compiler, name) for name in ("compile", "_code", "_parser", "_sre"))
        and hasattr(compiler._parser, "parse")
    )


def _compile(p: Any, flags: int = 0) -> Any:
    """``re._compiler.compile``, with the code of a pattern it has seen before reused."""
    compiler = _compiler
    kind = type(p)
    if (kind is not str and kind is not bytes) or flags & compiler.SRE_FLAG_DEBUG:
        return _real(p, flags)
    key = (kind is bytes, p, int(flags))
    sre = compiler._sre
    entry = _entries.get(key)
    if entry is not None:
        try:
            compiled = sre.compile(p, *entry)
        except (RuntimeError, TypeError, ValueError, OverflowError):
            del _entries[key]  # not code this engine accepts: compile it afresh
        else:
            _used.add(key)
            return compiled
    # What re._compiler.compile does, keeping the arguments it hands to _sre.compile.
    parsed = compiler._parser.parse(p, flags)
    code = compiler._code(parsed, flags)
    groupindex = parsed.state.groupdict
    indexgroup: list[Any] = [None] * parsed.state.groups
    for name, number in groupindex.items():
        indexgroup[number] = name
    entry = (
        flags | parsed.state.flags,
        code,
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )
    compiled = sre.compile(p, *entry)
    # The opcodes are int subclasses (named constants), which marshal does not write.
    _entries[key] = (int(entry[0]), [int(c) for c in code], *entry[2:])
    _used.add(key)
    _state["compiled"] = True
    return compiled


def _path() -> str | None:
    """This interpreter's file of compiled patterns; None when caching is off."""
    from amlguard.scanner import parsecache

    where = parsecache.cache_file()
    if where is None:
        return None
    compiler = _engine()
    stamp = (sys.version, sys.implementation.cache_tag, compiler._sre.MAGIC, compiler._sre.CODESIZE)
    tag = parsecache.blake2b(repr(("regex codes", stamp)).encode(), digest_size=10).hexdigest()
    return os.path.join(os.path.dirname(where), f"regex-{tag}")


def _valid(key: Any, entry: Any) -> bool:
    """Whether a stored (key, entry) pair has the shape :func:`_compile` stores."""
    return (
        type(key) is tuple
        and len(key) == 3
        and type(key[0]) is bool
        and type(key[1]) is (bytes if key[0] else str)
        and type(key[2]) is int
        and type(entry) is tuple
        and len(entry) == 5
        and type(entry[0]) is int
        and type(entry[1]) is list  # its items: _sre.compile refuses what is not code
        and type(entry[2]) is int
        and type(entry[3]) is dict
        and all(type(k) is str and type(v) is int for k, v in entry[3].items())
        and type(entry[4]) is tuple
        and len(entry[4]) == entry[2] + 1
        and all(name is None or type(name) is str for name in entry[4])
    )


def _read(path: str) -> dict[Any, _Entry]:
    stored = cachefile.read(path, _MAGIC)
    if type(stored) is not dict:
        return {}
    return {key: entry for key, entry in stored.items() if _valid(key, entry)}


def install() -> None:
    """Put the caching front before ``re``'s compiler (the process entry point only)."""
    global _real, _compiler
    if _state["installed"] or not _fits():
        return
    compiler = _engine()
    path = _path()
    if path is not None:
        _entries.update(_read(path))
    _real, _compiler = compiler.compile, compiler
    compiler.compile = _compile
    _state["installed"] = True


def save() -> None:
    """Write the codes of patterns compiled in this run back to the file (nothing when warm)."""
    if not _state["compiled"]:
        return
    _state["compiled"] = False
    path = _path()
    if path is None:
        return
    kept = _entries if len(_entries) <= MAX_PATTERNS else {k: _entries[k] for k in _used}
    cachefile.write(path, _MAGIC, kept)


def installed() -> bool:
    """True when :func:`install` took effect in this process."""
    compiler = _engine()
    return compiler is not None and compiler.compile is _compile
