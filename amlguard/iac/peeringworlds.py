"""The state of a declared VNet peering, made visible in the findings it decides (redteam9 #9).

:mod:`amlguard.iac.peerings` writes each peering a template declares ``Connected`` when its
remote leg is declared too or exists in the estate (an assumption: a peering is Connected once
both legs exist), and an :class:`Unknown` state otherwise (known after deployment). The rules
read the rows as they are; this module judges the scan again in the other worlds, like
:func:`amlguard.iac.conditional.settle` does for unknown conditions:

- unknown states set ``Connected`` (every combination of up to three, each alone and all
  together beyond): a finding whose status differs cannot be judged before deployment and
  becomes ``error`` ("unknown before deployment: whether VNet peering ... is Connected ..."),
  naming the peering(s) it depends on; a finding with the same status either way keeps it;
- assumed states set ``Initiated`` (what one leg shows while the other is absent), each alone
  and all together: a finding whose status differs keeps its verdict, and its message says
  which peering it assumed Connected and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from amlguard.iac.conditional import Judge, finding_key, worlds
from amlguard.iac.peerings import BOTH_DECLARED, PEERINGS, UNKNOWN, VNET
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, SourceInfo, Status
from amlguard.textsafe import visible

#: how many peerings a message names
NAMED = 3
#: the header keys a re-judged world drops (no world settles again)
_SETTLED = ("conditional", "conditions", PEERINGS)


def states(info: SourceInfo) -> dict[str, str]:
    """The declared peerings a scan's source lists: lower id -> the decision in words."""
    header = info.header if isinstance(info.header, dict) else {}
    listed = header.get(PEERINGS)
    if not isinstance(listed, dict):
        return {}
    return {ids.norm(str(k)): str(v) for k, v in listed.items()}


def settle(
    findings: list[Finding],
    rows: Sequence[dict[str, Any]],
    info: SourceInfo,
    judge: Judge,
) -> list[Finding]:
    """``findings`` with verdicts that hang on an unknown peering state made ``error``, and
    the assumption named in those that hang on an assumed one."""
    decided = states(info)
    if not decided:
        return findings
    bare = replace(info, header={k: v for k, v in info.header.items() if k not in _SETTLED})
    unknown = sorted(p for p, s in decided.items() if s == UNKNOWN)
    assumed = sorted(p for p, s in decided.items() if s != UNKNOWN)
    hangs = _depends(findings, rows, bare, judge, unknown, "Connected")
    leans = _depends(findings, rows, bare, judge, assumed, "Initiated")
    if not hangs and not leans:
        return findings
    out = []
    for f in findings:
        key = finding_key(f)
        if key in hangs:
            f = _unknown(f, hangs[key])
        elif key in leans:
            f = _assumed(f, leans[key], decided)
        out.append(f)
    return out


def _depends(
    findings: list[Finding],
    rows: Sequence[dict[str, Any]],
    bare: SourceInfo,
    judge: Judge,
    peerings: list[str],
    state: str,
) -> dict[tuple[str, str, str], list[str]]:
    """Finding key -> the peerings (lower ids) whose state set to ``state`` changes its
    status (findings already ``error`` are left out)."""
    changing: dict[tuple[str, str, str], list[frozenset[str]]] = {}
    if not peerings:
        return {}
    for world in worlds([(p, [p]) for p in peerings]):
        changed = frozenset(p for _name, members in world for p in members)
        other = {finding_key(f): f.status for f in judge(_with_state(rows, changed, state), bare)}
        for f in findings:
            if f.status is not Status.ERROR and other.get(finding_key(f)) is not f.status:
                changing.setdefault(finding_key(f), []).append(changed)
    # name the peerings of the smallest worlds that change a finding: a world of two peerings
    # changes what one of them alone changes, and names the other for nothing
    return {
        key: sorted({p for s in sets if not any(o < s for o in sets) for p in s})
        for key, sets in changing.items()
    }


def _with_state(
    rows: Sequence[dict[str, Any]], changed: frozenset[str], state: str
) -> list[dict[str, Any]]:
    """``rows`` with the peerings ``changed`` names in state ``state`` (copied, not edited)."""
    out = []
    for row in rows:
        props = row.get("properties")
        if str(row.get("type") or "").lower() != VNET or type(props) is not dict:
            out.append(row)
            continue
        key = next((k for k in props if k.lower() == "virtualnetworkpeerings"), None)
        entries = props.get(key) if key is not None else None
        if type(entries) is not list:
            out.append(row)
            continue
        new = [_entry(e, changed, state) for e in entries]
        if all(a is b for a, b in zip(new, entries, strict=True)):
            out.append(row)
        else:
            out.append({**row, "properties": {**props, str(key): new}})
    return out


def _entry(entry: Any, changed: frozenset[str], state: str) -> Any:
    if not isinstance(entry, dict) or ids.norm(entry.get("id")) not in changed:
        return entry
    props = entry.get("properties")
    if type(props) is not dict:
        return entry
    key = next((k for k in props if k.lower() == "peeringstate"), "peeringState")
    return {**entry, "properties": {**props, key: state}}


def _named(peerings: list[str]) -> str:
    """Peerings in words: ``vnet-spoke/to-hub`` (VNet/peering), a few then "and N more"."""
    names = [visible(_vnet_and_name(p)) for p in sorted(peerings)]
    return ", ".join(names[:NAMED]) + (
        f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
    )


def _vnet_and_name(peering_id: str) -> str:
    parts = peering_id.rstrip("/").split("/")
    return "/".join(parts[-3::2]) if len(parts) >= 3 else peering_id


def _unknown(f: Finding, peerings: list[str]) -> Finding:
    message = (
        "could not be judged: unknown before deployment: whether VNet peering(s) "
        f"{_named(peerings)} will be Connected (known after deployment: a peering is Connected "
        "only once the remote VNet's peering back exists too, and neither the template nor "
        "the estate it is laid over holds it); the verdict differs with and without the "
        f"peering (on the template as written: {f.status.value})"
    )
    hint = (
        "Declare the remote leg (the remote VNet's peering back) in the template, check the "
        "template over the estate that holds it (--snapshot or the live scope flags), or check "
        "again once it is deployed (amlguard check on the live estate)."
    )
    # the rule's own fix (a link, a peering...) is for a verdict that is not established
    return replace(f, status=Status.ERROR, message=message, offenders=(), remediation=hint)


def _assumed(f: Finding, peerings: list[str], decided: dict[str, str]) -> Finding:
    where = {
        "in the template" if decided.get(p) == BOTH_DECLARED else "in the estate" for p in peerings
    }
    said = " or ".join(sorted(where))
    note = (
        f"Before deployment amlguard assumed VNet peering(s) {_named(peerings)} Connected: a "
        f"peering is Connected once both of its legs exist, and the remote leg is {said}."
    )
    return replace(f, message=f"{f.message} {note}")
