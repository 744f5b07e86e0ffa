"""Which rules a scan runs: explicit ids, tags, and the pack's opt-in tags.

The pack declares opt-in tags (``opt_in_tags`` in ``pack.yaml``, e.g. ``hardening``): a rule
carrying one runs only when the user turns that tag on (``--tag hardening`` or the config's
``rules.include_tags``) or names the rule by id (``--rule``, ``rules.include``). Naming an
opt-in tag adds its rules; naming any other tag narrows the selection to the rules carrying it
(or an opt-in tag that was turned on).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol


class _Tagged(Protocol):
    id: str
    tags: Sequence[str]


def opt_in_tags(pack: Any) -> frozenset[str]:
    """The pack's opt-in tags, lower-cased (``opt_in_tags`` in ``pack.yaml``)."""
    declared = (getattr(pack, "settings", None) or {}).get("opt_in_tags") or {}
    return frozenset(str(t).lower() for t in declared)


def _tags(rule: _Tagged) -> set[str]:
    return {t.lower() for t in rule.tags}


def is_opt_in(rule: _Tagged, opt_in: frozenset[str]) -> bool:
    """Whether the rule is off unless its tag is turned on or it is named by id."""
    return bool(_tags(rule) & opt_in)


def split_tags(tags: Iterable[str], opt_in: frozenset[str]) -> tuple[set[str], set[str]]:
    """(tags that narrow, opt-in tags turned on) of a ``--tag`` or ``include_tags`` list."""
    wanted = {t.lower() for t in tags}
    return wanted - opt_in, wanted & opt_in


def narrow(
    rules: Iterable[Any],
    tags: Iterable[str],
    opt_in: frozenset[str],
    *,
    enabled: Iterable[str] = (),
    named: Iterable[str] = (),
    keep: Iterable[str] = (),
) -> list[Any]:
    """Rules kept by a tag list: opt-in rules only when on or ``named``, then narrowing tags
    (which never drop the ids in ``keep``)."""
    narrowing, turned_on = split_tags(tags, opt_in)
    on = turned_on | {t.lower() for t in enabled}
    ids = {i.upper() for i in named}
    kept = [r for r in rules if r.id in ids or not (_tags(r) & opt_in) - on]
    if narrowing:
        keep_ids = {i.upper() for i in keep}
        kept = [r for r in kept if r.id in keep_ids or _tags(r) & (narrowing | on)]
    return kept
