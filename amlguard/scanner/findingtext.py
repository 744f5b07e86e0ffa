"""The text fields a finding's message and fix are filled with (the engine's side of them)."""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from amlguard.offenders import key as offender_key
from amlguard.scanner.conditions import Explanation
from amlguard.scanner.idparts import parsed
from amlguard.scanner.instances import Instance
from amlguard.scanner.targets import Target
from amlguard.textsafe import DATA_LIMIT, bounded, visible


class FieldValues(dict[str, Any]):
    """The values a message or fix template is filled with: data made visible (a name with a
    line break must not add a line to a message or a suggested command)."""

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if type(value) is str:  # visible() and bounded() of a plain string, inline
            if not (value.isascii() and value.isprintable()):  # textsafe.safe_ascii, inline
                value = visible(value)
            return value if len(value) <= DATA_LIMIT else bounded(value)
        value = visible(value)
        return bounded(value) if isinstance(value, str) else value

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def finding_fields(target: Target, instance: Instance, extra: Mapping[str, Any]) -> FieldValues:
    """The fields of a finding on ``target`` in ``instance`` (``{name}``, ``{workspace}``...)."""
    row = target.row or {}
    parts = parsed(target.id)
    ws_parts = parsed(instance.id)
    return FieldValues(
        {
            "id": target.id,
            "name": row.get("name") or parts.name,
            "type": target.type,
            "resourceGroup": row.get("resourceGroup") or parts.resource_group,
            "subscriptionId": row.get("subscriptionId") or parts.subscription_id,
            "workspace": instance.name,
            "workspaceId": instance.id,
            "workspaceResourceGroup": ws_parts.resource_group,
            "workspaceSubscriptionId": ws_parts.subscription_id,
            "solutionSubnetId": instance.solution_subnet or "<solution-subnet-id>",
            **extra,
        }
    )


#: how each field of :func:`finding_fields` is worked out, one at a time (see :func:`fill`)
_FIELD_OF: dict[str, Callable[[Target, Instance], Any]] = {
    "id": lambda t, i: t.id,
    "name": lambda t, i: (t.row or {}).get("name") or parsed(t.id).name,
    "type": lambda t, i: t.type,
    "resourceGroup": lambda t, i: (t.row or {}).get("resourceGroup") or parsed(t.id).resource_group,
    "subscriptionId": lambda t, i: (
        (t.row or {}).get("subscriptionId") or parsed(t.id).subscription_id
    ),
    "workspace": lambda t, i: i.name,
    "workspaceId": lambda t, i: i.id,
    "workspaceResourceGroup": lambda t, i: parsed(i.id).resource_group,
    "workspaceSubscriptionId": lambda t, i: parsed(i.id).subscription_id,
    "solutionSubnetId": lambda t, i: i.solution_subnet or "<solution-subnet-id>",
}


@lru_cache(maxsize=512)
def _plain_fields(template: str) -> tuple[tuple[str, str | None], ...] | None:
    """``template`` as (text, field name) parts when every field is a plain name (no
    conversion, format spec, attribute or index); None when it needs ``str.format_map``."""
    parts: list[tuple[str, str | None]] = []
    try:
        for literal, name, spec, conversion in string.Formatter().parse(template):
            if name is not None and (spec or conversion or not name.isidentifier()):
                return None
            parts.append((literal, name))
    except ValueError:
        return None
    return tuple(parts)


@lru_cache(maxsize=512)
def _fill_plan(
    template: str,
) -> tuple[tuple[str, str | None, Callable[[Target, Instance], Any] | None], ...] | None:
    """:func:`_plain_fields` with each field's reader looked up once (None: not a finding field)."""
    parts = _plain_fields(template)
    if parts is None:
        return None
    return tuple(
        (literal, name, _FIELD_OF.get(name) if name is not None else None)
        for literal, name in parts
    )


def fill(template: str, target: Target, instance: Instance, extra: Mapping[str, Any]) -> str:
    """``template.format_map(finding_fields(target, instance, extra))``, working out only the
    fields the template names: a passing finding's message names two or three of them, and a
    scan writes thousands (AMLG-301's evidence, one per zone)."""
    plan = _fill_plan(template)
    if plan is None:
        return template.format_map(finding_fields(target, instance, extra))
    out = []
    for literal, name, field_of in plan:
        out.append(literal)
        if name is None:
            continue
        if name in extra:
            value = extra[name]
        elif field_of is not None:
            value = field_of(target, instance)
        else:
            value = "{" + name + "}"  # FieldValues.__missing__: an unknown field stays
        if type(value) is str:  # visible(), bounded() and format() of a plain string, inline
            if not (value.isascii() and value.isprintable()):  # textsafe.safe_ascii, inline
                value = visible(value)
            out.append(value if len(value) <= DATA_LIMIT else bounded(value))
            continue
        value = visible(value)
        out.append(format(bounded(value) if isinstance(value, str) else value))
    return "".join(out)


def explain(
    trace: list[Explanation], named: bool = False
) -> tuple[Any, Any, str | None, list[Any]]:
    """(expected, actual, path) of a failure's first explanation, and the offenders of every
    explanation in order, each once: an allOf whose later branch fails too names those as well
    (a baseline, a pinned suppression or the history then sees them as new).

    A failing branch that names no offender of its own (a ``field`` or ``value`` leaf, a count
    that matched nothing) is named by its path and value (``branch_offender``) where more than
    one branch fails, and also alone when ``named`` (the rule's condition can name offenders,
    :func:`names_offenders`): otherwise a field that starts failing beside a known failing
    count, or after the known offenders were fixed, adds nothing a gate could see (redteam8
    item 3, redteam9 item 6). ``actual`` is the first explanation's own: its value, or every
    offender when it names offenders (never another branch's offenders under its path).
    """
    if not trace:
        return None, None, None, []
    first = trace[0]
    several = named or len(trace) > 1
    offenders = list(first.offenders or ((branch_offender(first),) if several else ()))
    seen = {offender_key(o) for o in offenders}
    for later in trace[1:]:
        for o in later.offenders or (branch_offender(later),):
            if (k := offender_key(o)) not in seen:
                seen.add(k)
                offenders.append(o)
    actual = offenders if first.offenders else first.actual
    return first.expected, actual, first.path, offenders


#: a count whose failure means it matched nothing (``greaterOrEquals: 1``...) names no item
_NAMES_NOTHING = {("greaterOrEquals", 1), ("greater", 0), ("notEquals", 0)}
_NAMING: dict[int, tuple[Any, bool]] = {}


def names_offenders(condition: Any) -> bool:
    """Whether a failure of ``condition`` (a rule's, as written) can name offenders: it has a
    ``count`` outside any ``not`` that can fail while it matches items."""
    known = _NAMING.get(id(condition))
    if known is not None and known[0] is condition:
        return known[1]
    answer = _can_name(condition, 0)
    _NAMING[id(condition)] = (condition, answer)
    return answer


def _can_name(node: Any, depth: int) -> bool:
    if not isinstance(node, Mapping) or depth > 64:
        return False
    for key in ("allOf", "anyOf"):
        if isinstance(node.get(key), list):
            return any(_can_name(child, depth + 1) for child in node[key])
    if "not" in node or "count" not in node:
        return False  # a negated condition explains itself without offenders
    return not any(
        type(operand) is int and (op, operand) in _NAMES_NOTHING for op, operand in node.items()
    )


def branch_offender(explanation: Explanation) -> str:
    """A failing branch without offenders, as an offender: ``"<path> is <value>"`` (bounded)."""
    value = explanation.actual
    shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    where = explanation.path or explanation.expected
    return bounded(f"{where} is {shown}")
