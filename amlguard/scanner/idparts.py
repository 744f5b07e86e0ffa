"""Parsed resource ids, memoised: a scan's failing findings fill their messages and fix
commands from the same few thousand ids (workspace, solution VNet, judged resource) over and
over, and :func:`amlguard.scanner.ids.parse` returns an immutable value."""

from __future__ import annotations

from functools import lru_cache

from amlguard.scanner import ids

#: :func:`amlguard.scanner.ids.parse`, memoised (bounded: a long-lived process scans many times)
parsed = lru_cache(maxsize=1 << 16)(ids.parse)
