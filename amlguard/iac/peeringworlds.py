"""The state of a declared VNet peering, made visible in the findings it decides (redteam9 #9).

:mod:`amlguard.iac.peerings` writes each peering a template declares ``Connected`` when its
remote leg is declared too or exists in the estate (an assumption: a peering is Connected once
both legs exist), and an :class:`Unknown` state otherwise (known after deployment). The rules
read the rows as they are; this module judges the scan again in the other worlds, like
:func:`amlguard.iac.conditional.settle` does for unknown conditions:

- unknown states set ``Connected``, and template firewalls given the private address Azure
  would give them (:mod:`amlguard.iac.firewallips`), in every combination of up to three, each
  alone and all together beyond: a finding whose status differs cannot be judged before
  deployment and becomes ``error`` ("unknown before deployment: whether VNet peering ... will
  be Connected ..." / "the private IP address Azure gives Azure Firewall ..."), naming what it
  depends on (the smallest worlds that decide it); a finding with the same status either way
  keeps it;
- assumed states set ``Initiated`` (what one leg shows while the other is absent), each alone
  and all together: a finding whose status differs keeps its verdict, and its message says
  which peering it assumed Connected and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from amlguard.iac.firewallips import FIREWALL_ADDRESSES, with_addresses
from amlguard.iac.peerings import BOTH_DECLARED, PEERINGS, UNKNOWN, VNET
from amlguard.iac.worlds import Judge, finding_key, worlds
from amlguard.scanner import ids
from amlguard.scanner.model import Finding, SourceInfo, Status
from amlguard.textsafe import visible

#: how many peerings a message names
NAMED = 3
#: the header keys a re-judged world drops (no world settles again)
_SETTLED = ("conditional", "conditions", PEERINGS, FIREWALL_ADDRESSES)


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
    """``findings`` with verdicts that hang on an unknown peering state or firewall address
    made ``error``, and the assumption named in those that hang on an assumed peering."""
    decided = states(info)
    addresses = firewall_addresses(info)
    if not decided and not addresses:
        return findings
    bare = replace(info, header={k: v for k, v in info.header.items() if k not in _SETTLED})
    unknown = sorted(p for p, s in decided.items() if s == UNKNOWN) + sorted(addresses)
    assumed = sorted(p for p, s in decided.items() if s != UNKNOWN)

    def unknown_world(changed: frozenset[str]) -> list[dict[str, Any]]:
        chosen = {f: a for f, a in addresses.items() if f in changed}
        return with_addresses(_with_state(rows, changed, "Connected"), chosen)

    hangs = _depends(findings, bare, judge, unknown, unknown_world)
    leans = _depends(
        findings, bare, judge, assumed, lambda changed: _with_state(rows, changed, "Initiated")
    )
    if not hangs and not leans:
        return findings
    out = []
    for f in findings:
        key = finding_key(f)
        if key in hangs:
            f = _unknown(f, hangs[key], addresses)
        elif key in leans:
            f = _assumed(f, leans[key], decided)
        out.append(f)
    return out


def firewall_addresses(info: SourceInfo) -> dict[str, str]:
    """The template firewalls without a private address a scan's source lists: lower id ->
    the address Azure would give it."""
    header = info.header if isinstance(info.header, dict) else {}
    listed = header.get(FIREWALL_ADDRESSES)
    if not isinstance(listed, dict):
        return {}
    return {ids.norm(str(k)): str(v) for k, v in listed.items()}


def _depends(
    findings: list[Finding],
    bare: SourceInfo,
    judge: Judge,
    items: list[str],
    world_rows: Callable[[frozenset[str]], list[dict[str, Any]]],
) -> dict[tuple[str, str, str], list[str]]:
    """Finding key -> the items (lower ids) whose world (``world_rows`` of them) changes its
    status (findings already ``error`` are left out)."""
    # per finding: the worlds that give it another verdict, and those that give it error
    # (something else is still unknown there: they name too little when another world decides)
    decided: dict[tuple[str, str, str], list[frozenset[str]]] = {}
    undecided: dict[tuple[str, str, str], list[frozenset[str]]] = {}
    if not items:
        return {}
    for world in worlds([(p, [p]) for p in items]):
        changed = frozenset(p for _name, members in world for p in members)
        other = {finding_key(f): f.status for f in judge(world_rows(changed), bare)}
        for f in findings:
            status = other.get(finding_key(f))
            if f.status is not Status.ERROR and status is not f.status:
                into = undecided if status is Status.ERROR else decided
                into.setdefault(finding_key(f), []).append(changed)
    # name the items of the smallest worlds that change a finding: a world of two items
    # changes what one of them alone changes, and names the other for nothing
    return {
        key: sorted({p for s in sets if not any(o < s for o in sets) for p in s})
        for key in {*decided, *undecided}
        for sets in [decided.get(key) or undecided[key]]
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


def _unknown(f: Finding, items: list[str], addresses: dict[str, str]) -> Finding:
    peerings = [i for i in items if i not in addresses]
    firewalls = [i for i in items if i in addresses]
    what = []
    if peerings:
        what.append(
            f"whether VNet peering(s) {_named(peerings)} will be Connected (a peering is "
            "Connected only once the remote VNet's peering back exists too, and neither the "
            "template nor the estate it is laid over holds it)"
        )
    if firewalls:
        shown = ", ".join(
            f"{visible(ids.short_name(i))} (the first free address of its "
            f"AzureFirewallSubnet, {visible(addresses[i])}, once no other resource holds it)"
            for i in firewalls[:NAMED]
        )
        what.append(f"the private IP address Azure gives Azure Firewall {shown}")
    message = (
        f"could not be judged: unknown before deployment: {'; and '.join(what)}; the verdict "
        f"differs with and without it (on the template as written: {f.status.value})"
    )
    hint = (
        "Declare the remote leg (the remote VNet's peering back) in the template, check the "
        "template over the estate that holds it (--snapshot or the live scope flags), or check "
        "again once it is deployed (amlguard check on the live estate)."
        if peerings
        else "Check again once it is deployed (amlguard check on the live estate), or over the "
        "estate that holds the firewall (--snapshot or the live scope flags)."
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
