"""FQDN and service-tag breadth for approved-outbound-only workspaces (AMLG-110).

An FQDN outbound rule's destination is a host name, possibly with wildcards (``*.contoso.com``).
A destination is *broad* when it is a wildcard over a public suffix or less (``*``, ``*.*``,
``*.com``, ``*.co.uk``: :mod:`amlguard.scanner.publicsuffix`), or when it and a forbidden wildcard overlap (``*.windows.net`` covers the forbidden
``*.core.windows.net``; ``*.queue.core.windows.net`` lies inside it). An exact host name is broad
only when it is itself listed. Names compare case-insensitively, without a trailing dot.
"""

from __future__ import annotations

from typing import Any


def normalize(name: Any) -> str:
    """The comparable spelling of a destination: trimmed, lower-case, no trailing dot."""
    if not isinstance(name, str):
        return ""
    return name.strip().lower().rstrip(".")


def _labels(name: str) -> list[str]:
    return [label for label in name.split(".")] if name else []


def is_wildcard(name: str) -> bool:
    """Whether a (normalized) destination holds a wildcard."""
    return "*" in name


def fixed_suffix(name: str) -> tuple[str, ...]:
    """The labels after the last label holding a wildcard (all labels of an exact name)."""
    labels = _labels(name)
    last = max((i for i, label in enumerate(labels) if "*" in label), default=-1)
    return tuple(labels[last + 1 :])


def covers(broader: str, narrower: str) -> bool:
    """Whether every host ``narrower`` matches is matched by ``broader`` (both normalized)."""
    if not is_wildcard(broader):
        return broader == narrower and bool(broader)
    outer = fixed_suffix(broader)
    inner_labels = tuple(_labels(narrower))
    if not is_wildcard(narrower):
        # A wildcard matches at least one label in front of its fixed suffix.
        return (
            len(inner_labels) > len(outer)
            and inner_labels[len(inner_labels) - len(outer) :] == outer
        )
    inner = fixed_suffix(narrower)
    return len(inner) >= len(outer) and inner[len(inner) - len(outer) :] == outer


def broad_reason(destination: Any, forbidden: list[Any], min_fixed_labels: int) -> str | None:
    """Why an FQDN destination is too broad (None when it is not)."""
    name = normalize(destination)
    if not name:
        return None
    if is_wildcard(name):
        from amlguard.scanner.publicsuffix import suffix_labels  # off the start-up path

        fixed = fixed_suffix(name)
        # min_fixed_labels counts a one-label suffix (a TLD): past a longer public suffix,
        # as many labels are needed beyond it (*.co.uk is as broad as *.com)
        public = suffix_labels(fixed)
        if public > 1 and len(fixed) - public < min_fixed_labels - 1:
            return f"wildcard over public suffix {'.'.join(fixed[-public:])}"
        if len(fixed) < min_fixed_labels:
            return "wildcard over a top-level domain or everything"
    for raw in forbidden:
        pattern = normalize(raw)
        if not pattern:
            continue
        if covers(name, pattern):
            return f"covers forbidden {pattern}"
        # "Within" only a named domain: every wildcard is within the catch-alls * and *.*
        inside = is_wildcard(pattern) and len(fixed_suffix(pattern)) >= max(min_fixed_labels, 1)
        if inside and is_wildcard(name) and covers(pattern, name):
            return f"within forbidden {pattern}"
    return None


def service_tag_scope(tag: Any, forbidden: list[Any]) -> str | None:
    """``global`` for a forbidden service tag, ``regional`` for its regional form
    (``Storage.WestEurope``), None otherwise; tags compare case-insensitively."""
    if not isinstance(tag, str) or not tag.strip():
        return None
    base, _, region = tag.strip().lower().partition(".")
    names = {str(f).strip().lower() for f in forbidden if isinstance(f, str)}
    if base not in names:
        return None
    return "regional" if region else "global"
