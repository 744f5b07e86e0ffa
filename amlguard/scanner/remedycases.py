"""``remediation.cases``: a failing finding's fix text chosen by data, not by code.

A rule's remediation may list cases, each a condition (``when``, judged on the failing resource
with the rule's parameters, like ``severity_when``) with its own ``summary`` and, optionally,
``manual`` command. A failing finding takes the first case whose condition holds; without one it
takes the rule's own summary and command. A case without ``manual`` prints no command: the honest
fix where the rule's command would be wrong (e.g. AMLG-102 on a workspace whose isolation mode
is stricter than every allowed mode: the command would be a downgrade Azure rejects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amlguard.scanner.conditions import Condition, ConditionError, compile_condition
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.expressions import ExpressionError
from amlguard.scanner.paths import PathError


@dataclass(frozen=True, slots=True)
class RemedyCase:
    """One case: where it holds, and the fix text a failing finding then takes."""

    when: Condition = field(repr=False, compare=False)
    summary: str
    manual: str | None = None


def compile_cases(raw: Any) -> tuple[list[RemedyCase], list[tuple[int, str]]]:
    """The compiled cases of a rule's ``remediation.cases`` (already schema-checked), and
    (case index, problem) for each whose condition does not compile."""
    cases: list[RemedyCase] = []
    problems: list[tuple[int, str]] = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("when"), dict):
            continue  # the schema has said so already
        try:
            when = compile_condition(item["when"])
        except (ConditionError, ExpressionError, PathError) as exc:
            problems.append((i, str(exc)))
            continue
        manual = str(item.get("manual") or "").strip() or None
        cases.append(RemedyCase(when, str(item.get("summary") or "").strip(), manual))
    return cases, problems


def pick(
    cases: tuple[RemedyCase, ...], ctx: EvalContext, row: dict[str, Any], params: dict[str, Any]
) -> RemedyCase | None:
    """The first case whose condition holds on ``row`` (``ctx`` already names the instance);
    None when none does or one cannot be decided (the rule's own text is then used)."""
    ctx.resource = row
    ctx.params = params
    try:
        for case in cases:
            if case.when(ctx, None):
                return case
    except Undeterminable:
        ctx.currents.clear()
        ctx.field_scopes.clear()
    return None
