"""VNet peerings a template declares: folded into their VNet, their state decided (redteam9 #9).

ARM returns a VNet's peerings inline, in ``properties.virtualNetworkPeerings``, each with a
read-only ``peeringState``; every reach test (AMLG-301, AMLG-250, the DNS forwarding checks)
reads them there. A template declares them either inline (without a state: it is read-only,
and ARM ignores one written by hand) or as child resources
``Microsoft.Network/virtualNetworks/virtualNetworkPeerings`` (the usual Bicep, AVM and ALZ form).
Before any rule judges a template's rows:

- :func:`fold`: each child peering is written into its parent VNet's peerings (parent matched
  by id, case-insensitively; a child with an inline peering's name is the later write and
  wins) as ARM would return it (``id``, ``name``, ``type``, ``properties``), and is no longer a
  row of its own (Resource Graph never holds one). A child whose VNet is not in the rows stays
  a row (the remote leg of a peering to a VNet the template only references); a VNet whose
  ``properties`` or peerings are not an object / a list is left as it is.
- :func:`decide`: the state of each declared peering is known only after deployment. A
  peering is ``Connected`` once both of its legs exist, so it is written ``Connected`` as an
  assumption when the remote VNet's peering back is declared too (in the template) or exists
  in the estate the template is laid over (state ``Connected`` or ``Initiated``, i.e. waiting
  for this leg); otherwise its state is an :class:`Unknown` (known after deployment), never
  "not peered". The decision is listed in the source header (:data:`PEERINGS`), where
  :mod:`amlguard.iac.peeringworlds` makes it visible in the findings it decides.

Every other property (``allowVirtualNetworkAccess``, ``remoteVirtualNetwork``...) is kept as
declared. Rows are never changed in place: a changed VNet is copied along the path written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from amlguard.iac.values import Unknown
from amlguard.scanner import ids

Row = dict[str, Any]

VNET = "microsoft.network/virtualnetworks"
PEERING = "microsoft.network/virtualnetworks/virtualnetworkpeerings"
#: the type as ARM spells it in a VNet's ``virtualNetworkPeerings`` entries
PEERING_TYPE = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
#: the source-header key: lower-cased id of each declared peering -> what its state is
PEERINGS = "declared_peerings"
#: the header values: the remote leg is declared too / exists in the estate / neither
BOTH_DECLARED = "assumed Connected: both legs in the template"
IN_ESTATE = "assumed Connected: remote leg in the estate"
UNKNOWN = "unknown: no remote leg"
#: remote-leg states (lower-cased) of an estate peering that this leg's deployment connects
_WAITING = ("connected", "initiated")

__all__ = ["BOTH_DECLARED", "IN_ESTATE", "PEERINGS", "UNKNOWN", "decide", "fold", "state_key"]


def _type(row: Any) -> str:
    return str(row.get("type") or "").lower() if isinstance(row, dict) else ""


def _key(mapping: dict[str, Any], name: str) -> str | None:
    """The key of ``mapping`` equal to ``name`` case-insensitively, else None."""
    if name in mapping:
        return name
    low = name.lower()
    return next((k for k in mapping if isinstance(k, str) and k.lower() == low), None)


def _member(value: Any, name: str) -> Any:
    if not isinstance(value, dict):
        return None
    key = _key(value, name)
    return value.get(key) if key is not None else None


def _peerings(vnet: Row) -> tuple[str, list[Any]] | None:
    """(the key, the list) of a VNet row's peerings ([] when absent); None when the row's
    properties or peerings are not an object / a list (unknown or malformed: left as is)."""
    props = vnet.get("properties")
    if props is None:
        return "virtualNetworkPeerings", []
    if type(props) is not dict:
        return None
    key = _key(props, "virtualNetworkPeerings") or "virtualNetworkPeerings"
    found = props.get(key)
    if found is None:
        return key, []
    return (key, found) if type(found) is list else None


def _with_peerings(vnet: Row, key: str, peerings: list[Any]) -> Row:
    props = vnet.get("properties")
    props = props if isinstance(props, dict) else {}
    return {**vnet, "properties": {**props, key: peerings}}


def _name(entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return name if isinstance(name, str) else ""


def fold(rows: Iterable[Row]) -> list[Row]:
    """``rows`` with each child peering written into its parent VNet's peerings."""
    rows = list(rows)
    children: dict[str, list[Row]] = {}
    for row in rows:
        if _type(row) == PEERING:
            parent = ids.parent_of_child(str(row.get("id") or ""), "virtualNetworkPeerings")
            if parent:
                children.setdefault(ids.norm(parent), []).append(row)
    if not children:
        return rows
    folded: set[int] = set()
    out: list[Row] = []
    for row in rows:
        mine = children.get(ids.norm(row.get("id"))) if _type(row) == VNET else None
        found = _peerings(row) if mine else None
        if not mine or found is None:
            out.append(row)
            continue
        key, peerings = found
        merged = list(peerings)
        for child in mine:
            name = ids.short_name(str(child["id"]))
            merged = [p for p in merged if _name(p).lower() != name.lower()]
            merged.append(
                {
                    "id": child["id"],
                    "name": name,
                    "type": PEERING_TYPE,
                    "properties": child.get("properties"),
                }
            )
            folded.add(id(child))
        out.append(_with_peerings(row, key, merged))
    return [r for r in out if id(r) not in folded]


def with_ids(rows: Iterable[Row]) -> list[Row]:
    """``rows`` with each inline peering of a VNet given the id ARM gives it
    (``<vnet id>/virtualNetworkPeerings/<name>``) when it has none."""
    out = []
    for row in rows:
        found = _peerings(row) if _type(row) == VNET else None
        if not found or not found[1]:
            out.append(row)
            continue
        key, peerings = found
        named = []
        changed = False
        for entry in peerings:
            name = _name(entry)
            if name and isinstance(entry, dict) and _key(entry, "id") is None:
                entry = {"id": f"{row['id']}/virtualNetworkPeerings/{name}", **entry}
                changed = True
            named.append(entry)
        out.append(_with_peerings(row, key, named) if changed else row)
    return out


def declared(rows: Iterable[Row]) -> list[str]:
    """The lower-cased ids of the peerings in ``rows`` (inline, or child rows not folded)."""
    out = []
    for row in rows:
        if _type(row) == PEERING:
            out.append(ids.norm(row.get("id")))
        elif _type(row) == VNET and (found := _peerings(row)):
            for entry in found[1]:
                pid = _member(entry, "id")
                if isinstance(pid, str) and pid:
                    out.append(ids.norm(pid))
    return out


def state_key(peering_id: str) -> str:
    """The key of the unknown state of a declared peering (its words are the finding's)."""
    return (
        f"{peering_id}:properties.peeringState (known once the remote VNet's peering back exists)"
    )


def _remote(entry: Any) -> str:
    """The remote VNet id of a peering entry (lower-cased; '' when unknown or not written)."""
    remote = _member(_member(_member(entry, "properties"), "remoteVirtualNetwork"), "id")
    return ids.norm(remote) if type(remote) is str else ""


def _legs(rows: list[Row], mine: set[str]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(local VNet, remote VNet) pairs of the declared legs and of the estate's legs that a
    deployment of the other side connects (Connected or Initiated)."""
    template: set[tuple[str, str]] = set()
    estate: set[tuple[str, str]] = set()
    for row in rows:
        if _type(row) == PEERING:
            parent = ids.parent_of_child(str(row.get("id") or ""), "virtualNetworkPeerings")
            entries: list[Any] = [row]
            local = ids.norm(parent)
        elif _type(row) == VNET and (found := _peerings(row)):
            entries, local = found[1], ids.norm(row.get("id"))
        else:
            continue
        for entry in entries:
            remote = _remote(entry)
            if not remote or not local:
                continue
            pid = _member(entry, "id")
            if isinstance(pid, str) and ids.norm(pid) in mine:
                template.add((local, remote))
                continue
            state = _member(_member(entry, "properties"), "peeringState")
            if type(state) is str and state.strip().lower() in _WAITING:
                estate.add((local, remote))
    return template, estate


def decide(rows: Iterable[Row], mine: Iterable[str]) -> tuple[list[Row], dict[str, str]]:
    """``rows`` with the state of each peering in ``mine`` (lower-cased ids of the peerings a
    template declares) decided, and the decisions (lower id -> :data:`BOTH_DECLARED`,
    :data:`IN_ESTATE` or :data:`UNKNOWN`) for the source header."""
    rows = list(rows)
    wanted = set(mine)
    if not wanted:
        return rows, {}
    template, estate = _legs(rows, wanted)
    decisions: dict[str, str] = {}

    def state_of(entry: Any, local: str) -> Any:
        pid = str(_member(entry, "id"))
        remote = _remote(entry)
        if remote and (remote, local) in template:
            decisions[ids.norm(pid)] = BOTH_DECLARED
            return "Connected"
        if remote and (remote, local) in estate:
            decisions[ids.norm(pid)] = IN_ESTATE
            return "Connected"
        decisions[ids.norm(pid)] = UNKNOWN
        return Unknown(state_key(pid))

    def decided(entry: Any, local: str) -> Any:
        pid = _member(entry, "id")
        if not (isinstance(pid, str) and ids.norm(pid) in wanted and isinstance(entry, dict)):
            return entry
        props = _member(entry, "properties")
        if type(props) is not dict:
            decisions[ids.norm(pid)] = UNKNOWN  # the whole body is unknown or malformed
            return entry
        key = _key(props, "peeringState") or "peeringState"
        pkey = _key(entry, "properties") or "properties"
        return {**entry, pkey: {**props, key: state_of(entry, local)}}

    out = []
    for row in rows:
        if _type(row) == PEERING and ids.norm(row.get("id")) in wanted:
            parent = ids.parent_of_child(str(row.get("id") or ""), "virtualNetworkPeerings")
            out.append(decided(row, ids.norm(parent)))
        elif _type(row) == VNET and (found := _peerings(row)) and found[1]:
            key, peerings = found
            local = ids.norm(row.get("id"))
            new = [decided(p, local) for p in peerings]
            changed = any(a is not b for a, b in zip(new, peerings, strict=True))
            out.append(_with_peerings(row, key, new) if changed else row)
        else:
            out.append(row)
    return out, dict(sorted(decisions.items()))


def prepare(
    rows: Iterable[Row], mine: Iterable[str] | None = None
) -> tuple[list[Row], dict[str, str]]:
    """Fold and decide the state of the peerings declared: every peering of ``rows`` (a
    template's own rows, whose inline peerings are given their ids first) when ``mine`` is
    None, else those ``mine`` lists (a template's rows laid over an estate)."""
    if mine is None:
        out = with_ids(fold(rows))
        return decide(out, declared(out))
    return decide(fold(rows), mine)
