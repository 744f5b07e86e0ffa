"""Resources whose ``condition`` is unknown before deployment (iac.md 6.3, redteam5 defect 1).

A template resource whose condition cannot be evaluated before deployment
(``[equals(reference(...).principalId, 'x')]``) may or may not be deployed. Its row is emitted
(so the rules can see it) and listed in the source header; this module makes sure it never
decides a verdict on its own:

- :func:`conditions` records, per such resource, which condition it hangs on (its own or a
  module call site's): the expression and where it is written;
- :func:`settle` judges the scan again without the resources of each distinct condition. A
  finding whose status differs between "deployed" and "not deployed" (or that exists only when
  the resource is deployed: a finding about the resource itself) cannot be judged: it becomes
  ``error`` ("unknown before deployment: whether ... is deployed: condition ..."), naming the
  condition(s) it depends on, and the scan exits 3. A finding with the same verdict either way
  keeps it.

The worlds judged: with up to :data:`EXHAUSTIVE` distinct conditions, every combination of
them false (all their resources absent); with more, each condition false on its own (beyond
:data:`MAX_WORLDS`, the rest together) and all of them false at once. All of them false matters
(redteam6 item 7): two alternative approver role assignments under two independent conditions
each keep AMLG-106 passing when only the other is absent, but a deployment where neither
condition holds has no approver at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from amlguard.iac import peeringworlds
from amlguard.iac.firewallips import FIREWALL_ADDRESSES
from amlguard.iac.peerings import PEERINGS
from amlguard.iac.worlds import EXHAUSTIVE, MAX_WORLDS, Judge, finding_key, worlds
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, SourceInfo, Status
from amlguard.scanner.unknown import Unknown
from amlguard.textsafe import visible

__all__ = [
    "CONDITIONAL",
    "CONDITIONS",
    "EXHAUSTIVE",
    "MAX_WORLDS",
    "Judge",
    "conditional_ids",
    "conditions",
    "settle",
]

#: the source-header key: lower-cased resource id -> the condition it hangs on, in words
CONDITIONS = "conditions"
#: the source-header key listing the ids whose condition is unknown (iac/source.py)
CONDITIONAL = "conditional"
#: how many resources of one condition a message names
NAMED = 3


def conditions(expanded: Sequence[Any]) -> dict[str, str]:
    """Lower-cased id -> ``[expression] (file:line)`` of the unknown condition each
    conditional resource of ``expanded`` (iac.expand.Expanded results) hangs on."""
    out: dict[str, str] = {}
    for result in expanded:
        for rid in getattr(result, "conditional", ()):
            inst = result.instances.get(ids.norm(rid))
            out[ids.norm(rid)] = _condition_of(inst) if inst is not None else "a condition"
    return out


def _condition_of(inst: Any) -> str:
    cur = inst
    while cur is not None:
        if isinstance(cur.condition, Unknown):
            raw = cur.decl.get("condition")
            text = raw if isinstance(raw, str) else cur.condition.key
            try:
                where = f" ({cur.location(('condition',))})"
            except (KeyError, IndexError, TypeError, ValueError):
                where = ""
            return f"{text}{where}"
        cur = cur.run.call_site
    return "a condition"


def conditional_ids(info: SourceInfo) -> dict[str, str]:
    """The conditional resources a scan's source lists: lower id -> condition in words."""
    header = info.header if isinstance(info.header, dict) else {}
    listed = header.get(CONDITIONAL)
    if not isinstance(listed, list) or not listed:
        return {}
    named = header.get(CONDITIONS)
    named = named if isinstance(named, dict) else {}
    return {ids.norm(str(i)): str(named.get(ids.norm(str(i)), "a condition")) for i in listed}


def settle(
    findings: list[Finding],
    rows: Sequence[dict[str, Any]],
    info: SourceInfo,
    judge: Judge,
) -> list[Finding]:
    """``findings`` with every verdict that depends on a conditional resource made ``error``,
    then on a declared VNet peering's state (:mod:`amlguard.iac.peeringworlds`)."""
    findings = _settle_conditions(findings, rows, info, judge)
    return peeringworlds.settle(findings, rows, info, judge)


def _settle_conditions(
    findings: list[Finding],
    rows: Sequence[dict[str, Any]],
    info: SourceInfo,
    judge: Judge,
) -> list[Finding]:
    conditional = conditional_ids(info)
    if not conditional:
        return findings
    # the worlds judged here settle nothing again
    drop = (CONDITIONAL, CONDITIONS, PEERINGS, FIREWALL_ADDRESSES)
    header = {k: v for k, v in info.header.items() if k not in drop}
    bare = replace(info, header=header)
    groups: dict[str, list[str]] = {}
    for rid, condition in conditional.items():
        groups.setdefault(condition, []).append(rid)
    depends: dict[tuple[str, str, str], list[str]] = {}
    for absent in worlds(list(groups.items())):
        gone = {rid for _cond, members in absent for rid in members}
        kept = [r for r in rows if ids.norm(r.get("id")) not in gone]
        other = {finding_key(f): f.status for f in judge(kept, bare)}
        for f in findings:
            if f.status is not Status.ERROR and other.get(finding_key(f)) is not f.status:
                why = depends.setdefault(finding_key(f), [])
                why.extend(d for c, m in absent if (d := _described(c, m)) not in why)
    if not depends:
        return findings
    return [
        _unknown(f, depends[finding_key(f)]) if finding_key(f) in depends else f for f in findings
    ]


def _described(condition: str, members: list[str]) -> str:
    names = [_name(m) for m in sorted(members)]
    shown = ", ".join(names[:NAMED]) + (
        f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
    )
    return f"condition {visible(condition)} of {shown}"


def _name(resource_id: str) -> str:
    """A resource's name with its parents' (``pe-kv/default`` for a zone group)."""
    tail = resource_id.rsplit("/providers/", 1)[-1].split("/")
    return "/".join(tail[2::2]) or resource_id


def _unknown(f: Finding, why: list[str]) -> Finding:
    message = (
        "could not be judged: unknown before deployment: whether resources are deployed "
        f"({'; '.join(why)}); the verdict differs with and without them "
        f"(on the template as written: {f.status.value})"
    )
    hint = (
        "Make the condition computable from parameters, or check again once it is deployed "
        "(amlguard check on the live estate)."
    )
    return replace(
        f, status=Status.ERROR, message=message, offenders=(), remediation=f.remediation or hint
    )
