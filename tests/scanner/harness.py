"""Run the rule engine in-process over builder rows (no I/O), and read its findings."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from amlguard.scanner.instances import Instance, build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Finding, SourceInfo, Status
from amlguard.scanner.rules import RulePack, load_pack
from amlguard.scanner.scan import ScanOptions, evaluate, instance_settings

Row = dict[str, Any]
#: the tag of rules a scan runs only when asked (``--tag hardening``, ``--rule ID``)
OPT_IN_TAG = "hardening"
#: target selectors that select only in some estates (projects, customer-VNet workspaces)
CONDITIONAL = {
    "projects",
    "computes",
    "customvnetworkspace",
    "suggested",
    "workspacecomputes",
    "integratedanddatastores",
}


@cache
def pack() -> RulePack:
    """The built-in rule pack, loaded once per test session."""
    return load_pack()


def instances(rows: Iterable[Row], **options: Any) -> list[Instance]:
    """The blueprint instances assembled from ``rows`` (options as in ScanOptions)."""
    inv = Inventory(rows)
    return build_instances(inv, instance_settings(pack(), ScanOptions(**options)))


def scan(
    rows: Iterable[Row],
    parameters: dict[str, dict[str, Any]] | None = None,
    rule_ids: Iterable[str] = (),
    **options: Any,
) -> list[Finding]:
    """Every finding of the built-in pack (or of ``rule_ids``) over ``rows``."""
    scan_options = ScanOptions(parameters=parameters or {}, **options)
    wanted = {r.upper() for r in rule_ids}
    # Like a scan with no selection: opt-in (``hardening``) rules run only when named.
    rules = [r for r in pack().rules if r.id in wanted or (not wanted and not opt_in(r))]
    info = SourceInfo("builder", "builder rows")
    return evaluate(list(rows), pack(), rules, scan_options, info).findings


def failing(findings: Iterable[Finding]) -> set[str]:
    """Ids of the rules with at least one failing finding."""
    return {f.rule_id for f in findings if f.status is Status.FAIL}


def not_passing(findings: Iterable[Finding]) -> dict[str, set[str]]:
    """rule id -> statuses of every finding that is not a pass."""
    out: dict[str, set[str]] = {}
    for f in findings:
        if f.status is not Status.PASS:
            out.setdefault(f.rule_id, set()).add(f.status.value)
    return out


def of_rule(findings: Iterable[Finding], rule_id: str) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in findings if f.rule_id == rule_id]


def one(findings: Iterable[Finding], rule_id: str) -> Finding:
    """The single finding of ``rule_id`` (fails the test if there is not exactly one)."""
    found = of_rule(findings, rule_id)
    assert len(found) == 1, f"{rule_id}: expected one finding, got {found}"
    return found[0]


def only_flips(rows: Iterable[Row], rule_id: str, **kw: Any) -> Finding:
    """Assert ``rule_id`` is the one rule not passing, with exactly one failing finding."""
    findings = scan(rows, **kw)
    assert not_passing(findings) == {rule_id: {"fail"}}, not_passing(findings)
    fails = [f for f in of_rule(findings, rule_id) if f.status is Status.FAIL]
    assert len(fails) == 1, fails
    return fails[0]


def all_pass(rows: Iterable[Row], **kw: Any) -> list[Finding]:
    """Assert every rule passes (22 rules, no skip, no error) and return the findings."""
    rows = list(rows)
    findings = scan(rows, **kw)
    assert not_passing(findings) == {}, not_passing(findings)
    # Rules that judge projects or customer-VNet computes have nothing to judge in an estate
    # without them: every other rule must have judged something.
    seen = {f.rule_id for f in findings}
    rules = [r for r in pack().rules if not opt_in(r)]
    present = {str(r.get("type") or "").lower() for r in rows}
    assert seen >= {
        r.id
        for r in rules
        if r.target["select"].lower() not in CONDITIONAL and _typed_in(r, present)
    }
    assert seen <= {r.id for r in rules}
    if any(str(r.get("kind") or "").lower() == "project" for r in rows):
        assert {r.id for r in rules if r.target["select"] == "projects"} <= seen
    return findings


def _typed_in(rule: Any, present: set[str]) -> bool:
    """Whether the estate holds a row of a type the rule's target is limited to (a rule on
    integrated AI Search services or AML registries judges only estates that have them)."""
    types = {str(t).lower() for t in rule.target.get("types") or ()}
    return not types or bool(types & present)


def opt_in(rule: Any) -> bool:
    """Whether a rule is opt-in (tagged ``hardening``): off unless a selection names it."""
    return OPT_IN_TAG in rule.tags
