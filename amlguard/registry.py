"""One registry type for everything named by data: remediators, report formats, the rule
language's primitives (related sources, expression functions) and target selectors.

Each entry declares its name, its parameters and a one-line doc. Lazy entries point at their
implementation as ``"module:attribute"`` so that listing, documenting or validating names never
imports the implementation (the ``check`` start-up path stays light); entries registered by a
decorator (:meth:`Registry.register`) carry the implementation itself.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter an entry reads: its name, its declared type and what it means."""

    name: str
    type: str
    doc: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered name: where its implementation lives, its parameters and its doc."""

    name: str
    target: str  # "package.module:Attribute"
    doc: str
    parameters: tuple[Param, ...] = ()

    def describe(self) -> str:
        """``name: doc (parameters: a, b)`` on one line."""
        params = ", ".join(p.name for p in self.parameters)
        return f"{self.name}: {self.doc}" + (f" (parameters: {params})" if params else "")


class Registry(Generic[T]):
    """Names -> lazily loaded implementations; ``build`` turns the attribute into a ``T``."""

    def __init__(self, kind: str, build: Callable[[Any], T] | None = None) -> None:
        self.kind = kind
        self._build = build
        self._entries: dict[str, Entry] = {}
        self._loaded: dict[str, T] = {}
        # register()'s entries whose doc and parameters are read off the implementation on
        # first use (inspect.signature for every primitive was ~2 ms of every check's start-up)
        self._unread: dict[str, tuple[Any, str, tuple[Param, ...] | None]] = {}
        self._lock = threading.Lock()

    def declare(
        self, name: str, target: str, doc: str, parameters: tuple[Param, ...] = ()
    ) -> Entry:
        """Add an entry; a name declared twice is a programming error."""
        key = name.lower()
        if key in self._entries:
            raise ValueError(f"{self.kind} {name!r} is declared twice")
        if ":" not in target:
            raise ValueError(f"{self.kind} {name!r}: target must be 'module:attribute'")
        entry = Entry(name, target, doc, tuple(parameters))
        self._entries[key] = entry
        return entry

    def register(
        self, name: str, impl: T, doc: str = "", parameters: tuple[Param, ...] | None = None
    ) -> T:
        """Add an entry whose implementation is at hand (a decorator's); the doc defaults to
        the first line of its docstring and the parameters to its keyword parameters."""
        key = name.lower()
        if key in self._entries:
            raise ValueError(f"{self.kind} {name!r} is declared twice")
        module = getattr(impl, "__module__", "") or ""
        target = f"{module}:{getattr(impl, '__qualname__', name)}"
        self._entries[key] = Entry(name, target, doc)
        self._unread[key] = (impl, doc, parameters)
        self._loaded[name] = impl
        return impl

    def _read(self, key: str) -> Entry | None:
        """The entry under ``key``, its doc and parameters read off a registered
        implementation the first time (pure: two threads reading it agree)."""
        unread = self._unread.get(key)
        if unread is not None:
            impl, doc, parameters = unread
            e = self._entries[key]
            text = doc or (inspect.getdoc(impl) or "").split("\n", 1)[0]
            self._entries[key] = Entry(e.name, e.target, text, _parameters_of(impl, parameters))
            self._unread.pop(key, None)
        return self._entries.get(key)

    def get_loaded(self, name: str) -> T | None:
        """A registered implementation by name (case-insensitive), without importing anything."""
        entry = self._entries.get(str(name).lower())
        return None if entry is None else self._loaded.get(entry.name)

    def entry(self, name: str) -> Entry | None:
        """The declaration of ``name`` (case-insensitive), without loading it."""
        return self._read(str(name).lower())

    def names(self) -> list[str]:
        """Every declared name, sorted."""
        return sorted(e.name for e in self._entries.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._entries

    def __iter__(self) -> Iterator[Entry]:
        entries = [self._read(key) for key in list(self._entries)]
        return iter(sorted((e for e in entries if e is not None), key=lambda e: e.name))

    def get(self, name: str) -> T | None:
        """The implementation of ``name`` (imported and built once), or None when undeclared."""
        entry = self._entries.get(str(name).lower())  # name and target: doc not read
        if entry is None:
            return None
        with self._lock:
            if entry.name not in self._loaded:
                module, _, attr = entry.target.partition(":")
                obj = getattr(importlib.import_module(module), attr)
                self._loaded[entry.name] = self._build(obj) if self._build else obj
            return self._loaded[entry.name]

    def describe(self) -> list[str]:
        """One line per entry (for ``--help`` texts and the README)."""
        return [e.describe() for e in self]


def _parameters_of(impl: Any, given: tuple[Param, ...] | None) -> tuple[Param, ...]:
    """The declared parameters, else the callable's parameters after the evaluation context."""
    if given is not None:
        return tuple(given)
    try:
        signature = inspect.signature(impl)
    except (TypeError, ValueError):
        return ()
    names = [p for p in signature.parameters.values() if p.name not in ("ctx", "self")]
    return tuple(
        Param(p.name, str(p.annotation) if p.annotation is not p.empty else "any", "")
        for p in names
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )
