"""Which rules a scan runs: explicit ids, tags, and the pack's opt-in tags.

The pack declares opt-in tags (``opt_in_tags`` in ``pack.yaml``, e.g. ``hardening``): a rule
carrying one runs only when the user turns that tag on (``--tag hardening`` or the config's
``rules.include_tags``) or names the rule by id (``--rule``, ``rules.include``). Naming an
opt-in tag adds its rules; naming any other tag narrows the selection to the rules carrying it
(or an opt-in tag that was turned on).

An opt-in rule may declare ``default_on_when`` (a condition on the instance's workspace row, e.g.
AllowOnlyApprovedOutbound mode): while its tag is off and it is not named, it is kept as a copy
whose ``runs_only_when`` is that condition, and the engine judges it only in the instances the
condition holds for (:func:`runs_in`). Turning the tag on or naming the rule runs it everywhere.
"""

from __future__ import annotations

import dataclasses
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
    kept = []
    for r in rules:
        if r.id in ids or not (_tags(r) & opt_in) - on:
            kept.append(_unconditional(r))
        elif getattr(r, "default_on_when", None) is not None:
            kept.append(_conditional(r))
    if narrowing:
        keep_ids = {i.upper() for i in keep}
        kept = [r for r in kept if r.id in keep_ids or _tags(r) & (narrowing | on)]
    return kept


def _unconditional(rule: Any) -> Any:
    """The rule as it runs everywhere (the pack's own object when it carries no condition)."""
    if getattr(rule, "runs_only_when", None) is None:
        return rule
    return dataclasses.replace(rule, runs_only_when=None)


def _conditional(rule: Any) -> Any:
    """A copy of an opt-in rule that runs only where its ``default_on_when`` holds."""
    if rule.runs_only_when is rule.default_on_when:
        return rule
    return dataclasses.replace(rule, runs_only_when=rule.default_on_when)


def default_on_text(rule: Any, opt_in: frozenset[str]) -> str | None:
    """How an opt-in rule runs without its tag: ``None`` when it runs everywhere by default
    or nowhere; else its ``default_on_when`` label ("AllowOnlyApprovedOutbound workspaces")."""
    if not is_opt_in(rule, opt_in) or getattr(rule, "default_on_when", None) is None:
        return None
    return str(getattr(rule, "default_on_label", "") or "instances its default_on_when names")


def runs_in(rule: Any, instance: Any, ctx: Any, params: Any) -> bool:
    """Whether a rule kept by its ``default_on_when`` runs in this instance: the condition
    holds on the instance's workspace row (judged in ``ctx``, the engine's evaluation context,
    re-pointed here). One that cannot be judged runs (its findings then say why), so missing
    data never hides a rule."""
    from amlguard.scanner.context import Undeterminable

    condition = getattr(rule, "runs_only_when", None)
    if condition is None:
        return True
    ctx.resource = instance.workspace
    ctx.instance = instance
    ctx.params = params
    try:
        return bool(condition(ctx, None))
    except Undeterminable:
        ctx.currents.clear()
        ctx.field_scopes.clear()
        return True
