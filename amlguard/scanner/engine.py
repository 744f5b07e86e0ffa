"""The engine: rules x instances -> findings. No I/O here, so it is fast and easy to test."""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import attrgetter
from typing import Any

from amlguard.ruleselect import runs_in
from amlguard.scanner import ids
from amlguard.scanner.conditions import Explanation
from amlguard.scanner.context import Decided, EvalContext, Undeterminable
from amlguard.scanner.findingtext import FieldValues, explain, fill, finding_fields, names_offenders
from amlguard.scanner.instances import Instance
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.kindparams import for_kind, has_kind_parameters
from amlguard.scanner.manual import render_manual
from amlguard.scanner.model import Finding, Gap, Severity, Status, passing_findings
from amlguard.scanner.operators import display_text
from amlguard.scanner.primitives import PER_INSTANCE
from amlguard.scanner.privatelink import PrivateLinkTable, default_table
from amlguard.scanner.remedycases import RemedyCase, pick
from amlguard.scanner.rules import Rule
from amlguard.scanner.targets import SELECTORS, Selection, Selector, Target


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Scan-wide evaluation inputs besides rules and inventory."""

    cloud: str = "AzureCloud"
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # rule id -> values
    gaps: tuple[Gap, ...] = ()
    private_link: PrivateLinkTable | None = None


def _selector(name: str) -> Selector:
    """The target selector a rule names (the loader checked it exists)."""
    select = SELECTORS.get_loaded(name)
    if select is None:  # the rule loader validates selector names: a bug if it gets here
        raise KeyError(f"unknown target selector {name!r}")
    return select


class _Outcome(enum.Enum):
    PASSED = "pass"
    NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True, slots=True)
class _Noted:
    """Passed, with what the judgement found in words (a rule with ``pass_message``)."""

    notes: tuple[str, ...]


#: what judging a resource came to: passed (with notes or not), not applicable, a failure's
#: trace, or why not
Verdict = _Outcome | _Noted | list[Explanation] | Undeterminable

_TARGET_ID = attrgetter("id")
_TARGET_TYPE = attrgetter("type")

_PER_INSTANCE_CALL = re.compile(
    "|".join(rf"\b{name}\b" for name in sorted(PER_INSTANCE)), re.IGNORECASE
)


def _per_resource(rule: Rule) -> bool:
    """True when no part of the rule asks about the instance (see ``primitives.PER_INSTANCE``)."""
    used = json.dumps([rule.raw.get("where"), rule.raw.get("condition")], default=str)
    return _PER_INSTANCE_CALL.search(used) is None


@dataclass(frozen=True, slots=True)
class _Plan:
    """What judging one rule needs, worked out once per scan instead of once per resource."""

    rule: Rule
    select: Callable[[Instance, Inventory, dict[str, Any]], Selection]
    # Rules with the same target spec share one selection per instance (8 rules judge the
    # workspace alone): the key is the spec in a canonical spelling.
    selection_key: str
    params: dict[str, Any]
    compliant: str
    # The verdict depends on the judged resource alone (no per-instance primitive): a resource
    # several instances share is judged once, however many workspaces use it.
    per_resource: bool
    # ``<S>_by_kind`` parameters: the values depend on the judged workspace's kind
    kinded: bool = False


class Engine:
    """Evaluates compiled rules over the instances of an inventory."""

    def __init__(self, inventory: Inventory, rules: Iterable[Rule], options: EngineOptions) -> None:
        self.inventory = inventory
        self.rules = list(rules)
        self.options = options
        self.private_link = options.private_link or default_table()
        inventory.memo["cloud"] = {"name": options.cloud}  # storage URLs: datastores.py
        # Rule ids are matched as --rule matches them: case-insensitively.
        given = {str(k).upper(): v for k, v in options.parameters.items()}
        self._plans = [
            _Plan(
                rule=r,
                select=_selector(r.target["select"]),
                selection_key=json.dumps(r.target, sort_keys=True, default=str),
                params={**r.defaults(), **dict(given.get(r.id, {}))},
                compliant=f"{r.title}: compliant",
                per_resource=_per_resource(r) and not has_kind_parameters(r.defaults()),
            )
            for r in self.rules
        ]
        # Rules with ``<S>_by_kind`` parameters: their values depend on the workspace's kind.
        self._kinded = {p.rule.id for p in self._plans if has_kind_parameters(p.params)}
        self._plans = [
            dataclasses.replace(p, kinded=p.rule.id in self._kinded) for p in self._plans
        ]
        self._by_rule = {p.rule.id: p for p in self._plans}
        self._verdicts: dict[tuple[str, str], Verdict] = {}
        self._by_kind: dict[tuple[str, int, str], tuple[dict[str, Any], dict[str, Any]]] = {}
        self._spans: dict[str, set[str]] = {}  # instance id -> _spanned(), made when a gap asks
        # One context for the whole run: judging a resource swaps what changes (resource,
        # instance, parameters) instead of building a context per finding.
        self._ctx = EvalContext(
            resource={},
            inventory=inventory,
            instance=None,
            params={},
            private_link=self.private_link,
            cloud=options.cloud,
        )

    def run(self, instances: Iterable[Instance]) -> list[Finding]:
        """All findings, ordered by instance, rule and resource."""
        todo = list(instances)
        # Rules with the same target spec share one selection per instance (8 rules judge the
        # workspace alone).
        selections: list[dict[str, Selection]] = [{} for _ in todo]
        # Judged rule by rule, each over every instance, then put in instance order: one rule's
        # closures, related sources and memo entries stay in the CPU caches while it runs over
        # the whole estate (instance by instance, 35 rules' working sets took turns in them:
        # -15 to -25 % CPU at N = 1,000 for the same instructions). Each (rule, instance) is
        # judged exactly as before; no finding depends on the order they are judged in.
        pairs = list(zip(todo, selections, strict=True))
        # A selection is let go once the last rule with its target spec has run.
        last_use = {plan.selection_key: n for n, plan in enumerate(self._plans)}
        by_rule: list[list[list[Finding]]] = []
        for n, plan in enumerate(self._plans):
            by_rule.append(self._evaluate_rule(plan, pairs))
            if last_use[plan.selection_key] == n:
                for chosen in selections:
                    chosen.pop(plan.selection_key, None)
        # Instance by instance, each rule's findings in rule order (C loops, no call per list).
        return list(chain.from_iterable(chain.from_iterable(zip(*by_rule, strict=True))))

    def evaluate(self, rule: Rule, instance: Instance) -> list[Finding]:
        """The findings of one rule in one instance."""
        plan = self._by_rule.get(rule.id)
        if plan is None or plan.rule is not rule:
            plan = Engine(self.inventory, [rule], self.options)._plans[0]
        return self._evaluate(plan, instance, {})

    def _evaluate_rule(
        self, plan: _Plan, pairs: list[tuple[Instance, dict[str, Selection]]]
    ) -> list[list[Finding]]:
        """The findings of one rule in each instance of ``pairs`` (with the selections its
        instance's rules share). Each target is judged as :meth:`_judge` judges it; the common
        case, a pass, is worked out in this loop (``_verdict``'s steps inline, the rule's
        constant fields read once) and the passes built together at the end, column by
        column: no call per instance or per finding besides the condition's own."""
        rule = plan.rule
        gated = rule.runs_only_when is not None  # an opt-in rule on by default somewhere
        gapped = bool(self.options.gaps)  # every finding goes through _gapped
        key = plan.selection_key
        per_resource = plan.per_resource
        kinded = plan.kinded
        rule_id, rule_name, severity, compliant = rule.id, rule.name, rule.severity, plan.compliant
        where, condition, pass_message = rule.where, rule.condition, rule.pass_message
        noting = bool(pass_message)
        notes: list[str] = []
        params = plan.params
        ctx = self._ctx
        select, empty, judge, conclude = self._select, self._empty, self._judge, self._conclude
        norm = ids.norm
        not_applicable = _Outcome.NOT_APPLICABLE
        out: list[list[Finding]] = []
        # each instance's list holding plain passes (a None in each one's place), where its
        # passes start in the columns and how many; and the passes' varying fields
        placed: list[tuple[list[Finding], int, int]] = []
        pass_targets: list[Target] = []
        pass_instances: list[str] = []
        pass_messages: list[str] = []
        for instance, chosen in pairs:
            if gated and not self._default_on(plan, instance):
                out.append([])  # not on by default here (ruleselect.runs_in)
                continue
            selection = chosen.get(key)
            if selection is None:
                made = select(plan, instance, chosen)
                if isinstance(made, list):  # nothing could be selected: the finding says why
                    out.append(made)
                    continue
                selection = made
            targets = selection.targets
            if not targets:
                out.append(empty(plan, instance, selection))
                continue
            if gapped:
                out.append([judge(plan, target, instance) for target in targets])
                continue
            shared = instance.shared if per_resource else None
            findings: list[Finding] = []
            instance_id = instance.id
            # What _verdict sets, once per instance: whatever runs in this loop (_judge,
            # _conclude, remediation cases, severity grades) sets the same instance and
            # parameters again.
            ctx.instance = instance
            ctx.params = self._params(rule, params, instance) if kinded else params
            first = len(pass_targets)
            for target in targets:
                row = target.row
                if (
                    row is None
                    or target.unjudged is not None
                    or (shared and norm(target.id) in shared)
                ):
                    findings.append(judge(plan, target, instance))
                    continue
                # What _verdict does, inline.
                ctx.resource = row
                verdict: Verdict
                try:
                    if where is not None and not where(ctx, None):
                        verdict = not_applicable
                    else:
                        if noting:  # the condition's related sources note what they found
                            ctx.notes = []
                            ok = condition(ctx, None)
                            notes, ctx.notes = ctx.notes, None
                        else:
                            ok = condition(ctx, None)
                        if ok:
                            # A pass: built with the others after the loop, in place (with
                            # what the judgement noted, as _conclude words it for _Noted).
                            findings.append(None)  # type: ignore[arg-type]
                            pass_targets.append(target)
                            if not noting:  # every message is ``compliant`` (made below)
                                continue
                            if notes:
                                evidence = {"evidence": "; ".join(dict.fromkeys(notes))}
                                pass_messages.append(fill(pass_message, target, instance, evidence))
                            else:
                                pass_messages.append(compliant)
                            continue
                        trace: list[Explanation] = []
                        condition(ctx, trace)
                        verdict = trace
                except Undeterminable as exc:
                    # A count left mid-way leaves its scopes behind: the next one starts clean.
                    ctx.currents.clear()
                    ctx.field_scopes.clear()
                    ctx.notes = None
                    verdict = exc
                findings.append(conclude(plan, target, instance, verdict))
            passed = len(pass_targets) - first
            if passed:
                pass_instances.extend(repeat(instance_id, passed))
                placed.append((findings, first, passed))
            out.append(findings)
        if placed:  # the plain passes, column by column (model.passing_findings)
            pass_ids = list(map(_TARGET_ID, pass_targets))
            pass_types = list(map(_TARGET_TYPE, pass_targets))
            if not noting:
                pass_messages = [compliant] * len(pass_targets)
            made = passing_findings(
                rule_id, rule_name, severity, pass_ids, pass_types, pass_instances, pass_messages
            )
            for findings, first, passed in placed:  # each in its place (a None's)
                if passed == len(findings):  # every target passed (the usual case)
                    findings[:] = made[first : first + passed]
                    continue
                at = first
                for n, finding in enumerate(findings):
                    if finding is None:
                        findings[n] = made[at]
                        at += 1
        return out

    def _select(
        self, plan: _Plan, instance: Instance, selections: dict[str, Selection]
    ) -> Selection | list[Finding]:
        """The rule's targets in the instance, kept in ``selections`` for the rules sharing
        its target spec; the error finding when what to judge cannot be read."""
        try:
            selection = plan.select(instance, self.inventory, plan.rule.target)
        except Undeterminable as exc:
            # What to judge could not be read (a malformed or unknown value the target
            # selection needs): the rule cannot be judged on this instance, never a crash.
            ws = Target(instance.id, instance.workspace["type"], instance.workspace)
            message = f"could not be judged: which resources to judge: {exc}"
            return [self._gapped(plan.rule, ws, instance, Status.ERROR, message)]
        if len(selection.targets) > 1 and not selection.ordered:
            # Findings come out ordered by resource id: order the targets once, here.
            selection = Selection(
                sorted(selection.targets, key=lambda t: ids.norm(t.id)),
                selection.empty_reason,
                selection.undetermined,
            )
        selections[plan.selection_key] = selection
        return selection

    def _empty(self, plan: _Plan, instance: Instance, selection: Selection) -> list[Finding]:
        """The findings of a rule whose selection holds no target: why, or none."""
        if selection.empty_reason:
            ws = Target(instance.id, instance.workspace["type"], instance.workspace)
            # Through _gapped: "no VNet" may be what an unreadable subscription looks like.
            reason = selection.empty_reason
            status = Status.ERROR if selection.undetermined else Status.SKIPPED
            return [self._gapped(plan.rule, ws, instance, status, reason)]
        return []

    def _evaluate(
        self, plan: _Plan, instance: Instance, selections: dict[str, Selection]
    ) -> list[Finding]:
        """The findings of one rule in one instance."""
        return self._evaluate_rule(plan, [(instance, selections)])[0]

    def _default_on(self, plan: _Plan, instance: Instance) -> bool:
        return runs_in(
            plan.rule, instance, self._ctx, self._params(plan.rule, plan.params, instance)
        )

    def _judge(self, plan: _Plan, target: Target, instance: Instance) -> Finding:
        rule = plan.rule
        if target.row is None and target.missing_reason:
            hint = "Include the subscription that holds it in the scan, or correct what names it."
            reason = target.missing_reason
            return self._gapped(rule, target, instance, Status.ERROR, reason, remediation=hint)
        if target.row is None:
            reason = (
                f"{target.type or 'resource'} {target.id} is not in the scanned inventory "
                "(outside the scan scope or deleted)"
            )
            # The rule's own fix would act on a resource nobody has seen; say what to do instead.
            hint = (
                f"Include subscription {ids.parse(target.id).subscription_id or '?'} in the scan, "
                f"or relink workspace {instance.name} if {ids.short_if_id(target.id)} was deleted."
            )
            return self._gapped(rule, target, instance, Status.ERROR, reason, remediation=hint)
        if target.unjudged is not None:  # its row is there, but what selected it is malformed
            message = f"could not be judged: {target.unjudged}"
            return self._gapped(rule, target, instance, Status.ERROR, message)
        shared = instance.shared
        if plan.per_resource and shared and (key := ids.norm(target.id)) in shared:
            verdict = self._verdicts.get((rule.id, key))
            if verdict is None:
                verdict = self._verdicts[(rule.id, key)] = self._verdict(plan, target, instance)
        else:
            verdict = self._verdict(plan, target, instance)
        return self._conclude(plan, target, instance, verdict)

    def _conclude(
        self, plan: _Plan, target: Target, instance: Instance, verdict: Verdict
    ) -> Finding:
        """The finding a verdict on a target with a row comes to."""
        rule = plan.rule
        if verdict is _Outcome.PASSED:
            return self._passed(rule, target, instance, plan.compliant)
        if isinstance(verdict, _Noted):
            evidence = {"evidence": "; ".join(dict.fromkeys(verdict.notes))}
            message = fill(rule.pass_message, target, instance, evidence)
            return self._passed(rule, target, instance, message)
        if verdict is _Outcome.NOT_APPLICABLE:
            reason = rule.skip_message or "not applicable to this resource"
            return self._gapped(rule, target, instance, Status.SKIPPED, reason)
        if isinstance(verdict, Decided):
            return self._gapped(rule, target, instance, Status(verdict.status), str(verdict))
        if isinstance(verdict, Undeterminable):
            message = f"could not be judged: {verdict}"
            return self._gapped(rule, target, instance, Status.ERROR, message)
        trace = verdict
        expected, actual, path, offenders = explain(
            trace, names_offenders(rule.raw.get("condition"))
        )
        if rule.expected:
            expected = rule.expected
        extra = {
            "path": path or "",
            "expected": display_text(expected),
            "actual": display_text(actual),
            "offenders": ", ".join(ids.short_if_id(str(o)) for o in offenders) or "none",
            "count": len(offenders),
        }
        base = finding_fields(target, instance, {})
        message = rule.message.format_map(FieldValues({**base, **extra}))
        return self._gapped(
            rule,
            target,
            instance,
            Status.FAIL,
            message,
            expected=expected,
            actual=actual,
            path=path,
            offenders=tuple(offenders),
            severity=self._graded(plan, target, instance),
            fields=base,
        )

    def _passed(self, rule: Rule, target: Target, instance: Instance, message: str) -> Finding:
        """A passing finding; without gaps (the common case) built directly, as ``_finding``
        would build it."""
        if self.options.gaps:
            return self._gapped(rule, target, instance, Status.PASS, message)
        return Finding(
            rule.id,
            rule.name,
            rule.severity,
            Status.PASS,
            target.id,
            target.type,
            instance.id,
            message,
        )

    def _params(self, rule: Rule, params: dict[str, Any], instance: Instance) -> dict[str, Any]:
        """The rule's parameters for this instance's workspace kind (``<S>_by_kind``)."""
        if rule.id not in self._kinded:
            return params
        # One copy per (rule, parameters, kind), not one per judged resource.
        key = (rule.id, id(params), instance.kind)
        found = self._by_kind.get(key)
        if found is None or found[0] is not params:
            found = self._by_kind[key] = (params, for_kind(rule.id, params, instance.kind))
        return found[1]

    def _case(self, rule: Rule, row: dict[str, Any], instance: Instance) -> RemedyCase | None:
        """The first ``remediation.cases`` entry that holds for a failing row."""
        plan = self._by_rule.get(rule.id)
        params = self._params(rule, plan.params if plan else rule.defaults(), instance)
        self._ctx.instance = instance
        return pick(rule.remediation.cases, self._ctx, row, params)

    def _graded(self, plan: _Plan, target: Target, instance: Instance) -> Severity:
        """A failing finding's severity: the first ``severity_when`` entry whose condition
        holds for it (a rule-level grade, e.g. a regional tag is less severe), else the rule's."""
        rule = plan.rule
        if not rule.severity_when:
            return rule.severity
        ctx = self._ctx
        ctx.resource = target.row  # type: ignore[assignment]  # only failing rows get here
        ctx.instance = instance
        ctx.params = self._params(rule, plan.params, instance)
        try:
            for severity, when in rule.severity_when:
                if when(ctx, None):
                    return severity
        except Undeterminable:
            ctx.currents.clear()
            ctx.field_scopes.clear()
        return rule.severity

    def _verdict(self, plan: _Plan, target: Target, instance: Instance) -> Verdict:
        """Whether the rule applies, and passes; a failure's explanation; or why it cannot say."""
        rule = plan.rule
        ctx = self._ctx
        ctx.resource = target.row  # type: ignore[assignment]  # _judge saw it is not None
        ctx.instance = instance
        ctx.params = self._params(rule, plan.params, instance) if plan.kinded else plan.params
        try:
            if rule.where is not None and not rule.where(ctx, None):
                return _Outcome.NOT_APPLICABLE
            if rule.pass_message:  # the condition's related sources note what they found
                ctx.notes = []
                passed = rule.condition(ctx, None)
                notes, ctx.notes = ctx.notes, None
                if passed:
                    return _Noted(tuple(notes)) if notes else _Outcome.PASSED
            elif rule.condition(ctx, None):
                return _Outcome.PASSED
            trace: list[Explanation] = []
            rule.condition(ctx, trace)
            return trace
        except Undeterminable as exc:
            # A count left mid-way leaves its scopes behind: the next judgement starts clean.
            ctx.currents.clear()
            ctx.field_scopes.clear()
            ctx.notes = None
            return exc

    def _gap_for(self, rule: Rule, target: Target, instance: Instance) -> Gap | None:
        """The gap that makes this finding unjudgeable: one in the target's, its private
        endpoints' or the workspace's subscription, or, for a rule that reads across the
        instance, in any subscription the instance spans (see :meth:`_spanned`)."""
        subs = {
            ids.parse(target.id).subscription_id.lower(),
            ids.parse(instance.id).subscription_id.lower(),
        }
        # The target's private endpoints (and their zone groups) live in their VNet's
        # subscription, which may be another one.
        for pe, _conn in self.inventory.endpoints_by_target.get(ids.norm(target.id), []):
            subs.add(ids.parse(pe["id"]).subscription_id.lower())
        plan = self._by_rule.get(rule.id)
        if plan is None or plan.rule is not rule or not plan.per_resource:
            subs |= self._spanned(instance)
        for gap in self.options.gaps:
            if gap.resources:  # narrowed to the findings on (or of) these resources
                if ids.norm(target.id) in gap.resources or ids.norm(instance.id) in gap.resources:
                    return gap
            elif not gap.scope or gap.scope.lower() in subs:
                return gap
        return None

    def _spanned(self, instance: Instance) -> set[str]:
        """The subscriptions (lower-cased) of an instance's members, of their private endpoints
        and of its solution VNet: endpoints live in their VNet's subscription, often a network
        subscription of their own, and a gap there hides zone groups and connections."""
        spanned = self._spans.get(instance.id)
        if spanned is None:
            ids_seen = [*instance.members(), instance.solution_vnet or ""]
            for member in instance.members():
                ids_seen += [
                    pe["id"] for pe, _ in self.inventory.endpoints_by_target.get(member, [])
                ]
            spanned = self._spans[instance.id] = {
                ids.parse(str(i)).subscription_id.lower() for i in ids_seen if i
            }
        return spanned

    def _gapped(
        self,
        rule: Rule,
        target: Target,
        instance: Instance,
        status: Status,
        message: str,
        **kw: Any,
    ) -> Finding:
        gap = self._gap_for(rule, target, instance) if self.options.gaps else None
        if gap is not None and status in (Status.PASS, Status.FAIL, Status.SKIPPED):
            message = f"scan incomplete, cannot be judged: {gap.reason} (on the data read: {status.value})"
            status = Status.ERROR
        elif gap is not None and status is Status.ERROR:
            # A missing row is most likely the gap's doing: name the cause, not just the symptom.
            message = f"{message}; scan incomplete: {gap.reason}"
        return self._finding(rule, target, instance, status, message, **kw)

    def _finding(
        self,
        rule: Rule,
        target: Target,
        instance: Instance,
        status: Status,
        message: str,
        expected: Any = None,
        actual: Any = None,
        path: str | None = None,
        offenders: tuple[Any, ...] = (),
        remediation: str | None = None,
        severity: Severity | None = None,
        fields: FieldValues | None = None,
    ) -> Finding:
        if remediation is None and status in (Status.FAIL, Status.ERROR):
            if fields is None:
                fields = finding_fields(target, instance, {})
            fix = rule.remediation
            summary, manual = fix.summary, fix.manual
            if fix.cases and status is Status.FAIL and target.row is not None:
                case = self._case(rule, target.row, instance)
                summary, manual = (case.summary, case.manual) if case else (summary, manual)
            remediation = summary.format_map(fields)
            if manual:
                plan = self._by_rule.get(rule.id)
                params = plan.params if plan is not None else rule.defaults()
                params = self._params(rule, params, instance)
                remediation += "\n" + render_manual(
                    manual,
                    fields,
                    instance,
                    offenders,
                    params,
                    self.inventory,
                    self.private_link,
                    self.options.cloud,
                )
        remediation = remediation or ""
        return Finding(
            rule_id=rule.id,
            rule_name=rule.name,
            severity=severity if severity is not None else rule.severity,
            status=status,
            resource_id=target.id,
            resource_type=target.type,
            instance=instance.id,
            message=message,
            expected=expected,
            actual=actual,
            path=path,
            remediation=remediation,
            offenders=offenders,
        )
