"""Rules judging resources a template would create: each rule's ``iac:`` block.

What exists only after a deployment (a provisioned managed network, the approval state of a
private endpoint connection) is declared per rule in the rule YAML, never decided here:

- ``skip``: the rule does not judge template resources (the text says why);
- ``where`` / ``skip_message``: template resources the condition does not hold for are
  ``skipped`` with that message (``{name}``, ``{resourceGroup}``, ``{subscriptionId}``,
  ``{id}`` filled in), e.g. "run ``az ml workspace provision-network`` after deployment";
- ``passes_when``: template resources it holds for pass;
- ``condition`` / ``message``: a replacement condition and message for template resources;
- ``assume``: values for unknowns whose key matches a glob (``*: approval (automatic)`` →
  ``Approved``), with ``assumption``: the sentence every finding they touch carries.

A rule without the block judges template rows as they are (an unknown is ``error``). The block
applies to rows a template produced (all rows of a template-only scan; in a scan over an estate,
the ids in the source header's ``template_resources``); ``assume`` replaces unknowns, which
only template rows hold.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from amlguard.errors import PolicyError
from amlguard.scanner import ids
from amlguard.scanner.conditions import Condition, ConditionError, compile_condition
from amlguard.scanner.context import Decided, EvalContext
from amlguard.scanner.expressions import ExpressionError
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import SourceInfo
from amlguard.scanner.paths import PathError
from amlguard.scanner.rules import Rule
from amlguard.scanner.unknown import Unknown

#: the source-header key listing (lower-cased) the ids of rows a template produced
TEMPLATE_RESOURCES = "template_resources"

_ID_IN_KEY = re.compile(r"/subscriptions/[^\s:]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Treatment:
    """A rule's ``iac:`` block, compiled."""

    skip: str | None = None
    where: Condition | None = None
    skip_message: str = ""
    passes_when: Condition | None = None
    condition: Condition | None = None
    message: str | None = None
    assume: tuple[tuple[str, Any], ...] = ()
    assumption: str = ""


def compile_treatment(rule: Rule) -> Treatment | None:
    """The rule's ``iac:`` block compiled (None without one); a bad condition is a PolicyError
    naming the rule file."""
    raw = rule.raw.get("iac") if isinstance(rule.raw, dict) else None
    if not isinstance(raw, dict):
        return None

    def compiled(key: str) -> Condition | None:
        if key not in raw:
            return None
        try:
            return compile_condition(raw[key])
        except (ConditionError, ExpressionError, PathError) as exc:
            raise PolicyError([f"{rule.source or rule.id}: {rule.id} iac.{key}: {exc}"]) from None

    assume = tuple(
        (str(item["unknown"]).lower(), item.get("value"))
        for item in raw.get("assume") or ()
        if isinstance(item, dict) and "unknown" in item
    )
    return Treatment(
        skip=_text(raw.get("skip")) or None,
        where=compiled("where"),
        skip_message=_text(raw.get("skip_message")),
        passes_when=compiled("passes_when"),
        condition=compiled("condition"),
        message=_text(raw.get("message")) or None,
        assume=assume,
        assumption=_text(raw.get("assumption")),
    )


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value else ""


def template_ids(rows: Sequence[dict[str, Any]], info: SourceInfo) -> frozenset[str] | None:
    """The lower-cased ids of rows a template produced; None when every row is one."""
    if info.kind == "template":
        return None
    listed = info.header.get(TEMPLATE_RESOURCES) if isinstance(info.header, dict) else None
    return frozenset(str(i).lower() for i in listed or ())


def for_templates(
    rules: Iterable[Rule], rows: Sequence[dict[str, Any]], info: SourceInfo
) -> list[Rule]:
    """The rules as a template scan judges them: those with an ``iac:`` block wrapped."""
    only = template_ids(rows, info)
    views: dict[str, _View] = {}
    out = []
    for rule in rules:
        treatment = compile_treatment(rule)
        if treatment is None:
            out.append(rule)
            continue
        spec = json.dumps(treatment.assume, sort_keys=True, default=str)
        view = views.setdefault(spec, _View(treatment.assume, only)) if treatment.assume else None
        out.append(_wrap(rule, treatment, only, view))
    return out


class _View:
    """The inventory with assumed values in place of matching unknowns, made once per scan."""

    def __init__(self, assume: tuple[tuple[str, Any], ...], only: frozenset[str] | None) -> None:
        self.assume = assume
        self.only = only  # unknowns are in template rows only: the estate's are not walked
        self.source: Inventory | None = None
        self.inventory: Inventory | None = None
        self.touched: set[str] = set()  # lower ids of resources an assumed value is about

    def of(self, inventory: Inventory) -> Inventory:
        """The assumed inventory of ``inventory`` (built on first use)."""
        if self.source is not inventory or self.inventory is None:
            self.source = inventory
            self.touched = set()
            rows = [self._row(r) for r in inventory]
            self.inventory = Inventory(rows)
        return self.inventory

    def _row(self, row: dict[str, Any]) -> dict[str, Any]:
        if self.only is not None and ids.norm(row.get("id")) not in self.only:
            return row
        changed: list[Unknown] = []
        new: dict[str, Any] = _replace(row, self.assume, changed)
        if not changed:
            return row
        self.touched.add(ids.norm(row.get("id")))
        for unknown in changed:
            self.touched.update(ids.norm(i) for i in _ID_IN_KEY.findall(unknown.key))
        return new


def _replace(value: Any, assume: tuple[tuple[str, Any], ...], changed: list[Unknown]) -> Any:
    if type(value) is Unknown:
        key = value.key.lower()
        for pattern, assumed in assume:
            if fnmatch.fnmatchcase(key, pattern):
                changed.append(value)
                return assumed
        return value
    if isinstance(value, dict):
        before = len(changed)
        out = {k: _replace(v, assume, changed) for k, v in value.items()}
        return out if len(changed) > before else value
    if isinstance(value, list):
        before = len(changed)
        items = [_replace(v, assume, changed) for v in value]
        return items if len(changed) > before else value
    return value


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    parts = ids.parse(str(row.get("id", "")))
    return {
        "id": row.get("id", ""),
        "name": row.get("name") or parts.name,
        "resourceGroup": row.get("resourceGroup") or parts.resource_group,
        "subscriptionId": row.get("subscriptionId") or parts.subscription_id,
    }


class _Fmt(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _wrap(rule: Rule, t: Treatment, only: frozenset[str] | None, view: _View | None) -> Rule:
    def from_template(ctx: EvalContext) -> bool:
        return only is None or ids.norm(ctx.resource.get("id")) in only

    def where(ctx: EvalContext, trace: Any) -> bool:
        if rule.where is not None and not rule.where(ctx, trace):
            return False  # the rule's own skip_message
        if not from_template(ctx):
            return True
        if t.skip:
            raise Decided("skipped", t.skip)
        if t.passes_when is not None and _assumed(ctx, view, t.passes_when):
            return True  # the condition passes it
        if t.where is not None and not _assumed(ctx, view, t.where):
            text = t.skip_message or "not judged before deployment"
            raise Decided("skipped", text.format_map(_Fmt(_fields(ctx.resource))))
        return True

    def condition(ctx: EvalContext, trace: Any) -> bool:
        if not from_template(ctx):
            return _assumed(ctx, view, rule.condition, trace)
        if t.passes_when is not None and _assumed(ctx, view, t.passes_when):
            return True
        passed = _assumed(ctx, view, t.condition or rule.condition, trace)
        if passed and trace is None and t.assumption and _touches(ctx, view):
            raise Decided("pass", f"{rule.title}: compliant. {t.assumption}")
        return passed

    message = t.message or rule.message
    if t.assumption:
        message = f"{message} {t.assumption}"
    raw = dict(rule.raw)
    # the engine reads where/condition in raw to see whether a verdict is per resource
    raw["condition"] = [rule.raw.get("condition"), rule.raw.get("iac")]
    return replace(rule, where=where, condition=condition, message=message, raw=raw)


def _touches(ctx: EvalContext, view: _View | None) -> bool:
    """True when an assumed value is about the judged resource (its endpoints' approvals)."""
    if view is None:
        return False
    view.of(ctx.inventory)
    return ids.norm(ctx.resource.get("id")) in view.touched


def _assumed(ctx: EvalContext, view: _View | None, cond: Condition, trace: Any = None) -> bool:
    """``cond`` evaluated over the assumed inventory (the plain one without ``assume``)."""
    if view is None:
        return cond(ctx, trace)
    inventory, resource = ctx.inventory, ctx.resource
    if view.source is not None and inventory is view.inventory:
        return cond(ctx, trace)  # already inside the assumed view
    assumed = view.of(inventory)
    ctx.inventory = assumed
    ctx.resource = assumed.get(str(resource.get("id"))) or resource
    try:
        return cond(ctx, trace)
    finally:
        ctx.inventory, ctx.resource = inventory, resource
