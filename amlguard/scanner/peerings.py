"""Whether a VNet peering is a network path (redteam9 item 8).

A peering leg of VNet A to VNet B (``properties.virtualNetworkPeerings[*]`` of A) passes A's
traffic to B only when its ``peeringState`` is ``Connected`` **and** its
``allowVirtualNetworkAccess`` is not ``false`` (absent: the API's default, true). A leg that is
``Connected`` with the flag ``false`` drops everything between the two address spaces, whatever
``peeringSyncLevel`` says. Responses to queries A starts need nothing from B's leg, so A's own leg
decides; only where A's leg was not read is B's leg the best evidence. A flag that is not a
boolean cannot be read: ``Undeterminable`` naming the peering (the finding is ``error``).
"""

from __future__ import annotations

from typing import Any

from amlguard.excerpt import quoted
from amlguard.scanner import ids
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.paths import MISSING, get_key
from amlguard.scanner.unknown import Unknown, UnknownValue

#: the flag that lets a peering pass traffic
ACCESS = "allowVirtualNetworkAccess"


def _props(value: Any) -> dict[str, Any]:
    found = get_key(value, "properties") if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _remote(props: dict[str, Any]) -> str:
    remote = get_key(props, "remoteVirtualNetwork")
    rid = get_key(remote, "id") if isinstance(remote, dict) else None
    return rid.strip() if isinstance(rid, str) else ""


def legs(vnet: Any, remote: str) -> list[dict[str, Any]]:
    """The peerings (whole entries) of VNet row ``vnet`` whose remote VNet is ``remote``."""
    return _legs(vnet, remote)[0]


def _legs(vnet: Any, remote: str) -> tuple[list[dict[str, Any]], Unknown | None]:
    """:func:`legs`, and the first remote VNet id among the others that is unknown before
    deployment (a template's module output): that peering may be a leg to ``remote``."""
    found = get_key(_props(vnet), "virtualNetworkPeerings") if isinstance(vnet, dict) else None
    key = ids.norm(remote)
    out: list[dict[str, Any]] = []
    unknown: Unknown | None = None
    for p in found if isinstance(found, list) else []:
        if not isinstance(p, dict):
            continue
        remote_vnet = get_key(get_key(_props(p), "remoteVirtualNetwork"), "id")
        if type(remote_vnet) is Unknown:
            unknown = unknown or remote_vnet
        elif ids.norm(_remote(_props(p))) == key:
            out.append(p)
    return out, unknown


def connected(peering: Any) -> bool:
    """Whether a peering entry's ``peeringState`` is ``Connected``."""
    return str(get_key(_props(peering), "peeringState") or "").strip().lower() == "connected"


def passes(peering: Any, owner: str = "") -> bool:
    """Whether a ``Connected`` peering entry passes traffic: its ``allowVirtualNetworkAccess``
    is absent or true. Not a boolean: ``Undeterminable`` naming the peering (of VNet
    ``owner``); a template value unknown before deployment: ``UnknownValue``."""
    flag = get_key(_props(peering), ACCESS)
    if flag is MISSING or flag is None or flag is True:
        return True
    if flag is False:
        return False
    if type(flag) is Unknown:
        raise UnknownValue(flag)
    name = get_key(peering, "name")
    shown = quoted(name) if isinstance(name, str) else "?"
    remote = ids.short_name(_remote(_props(peering)))
    raise Undeterminable(
        f"peering {shown}{' of VNet ' + ids.short_name(owner) if owner else ''} to VNet "
        f"{remote}: {ACCESS} is {quoted(str(flag))}, not a boolean: whether it passes traffic "
        "cannot be read"
    )


def leg_path(vnet: Any, remote: str) -> tuple[bool, str]:
    """Whether VNet row ``vnet`` has a peering leg to ``remote`` that is a path, and, when it
    has a ``Connected`` leg that is not one, why in words ('' when it has no Connected leg)."""
    owner = str(get_key(vnet, "id") or "") if isinstance(vnet, dict) else ""
    blocked = ""
    found, unknown = _legs(vnet, remote)
    for peering in found:
        if not connected(peering):
            continue
        if passes(peering, owner):
            return True, ""
        blocked = blocked or blocked_words(owner, remote)
    if unknown is not None:  # a peering to a VNet known only after deployment may be the path
        raise UnknownValue(unknown)
    return False, blocked


def blocked_words(owner: str, remote: str) -> str:
    """Why a Connected leg of ``owner`` to ``remote`` passes nothing, in words."""
    return (
        f"the peering of VNet {ids.short_name(owner)} to VNet {ids.short_name(remote)} is "
        f"Connected but {ACCESS} is false: it passes no traffic"
    )


def path(source: Any, target: Any, source_id: str, target_id: str) -> tuple[bool, str]:
    """Whether VNet ``source_id`` reaches VNet ``target_id`` by a peering (rows ``source`` and
    ``target``, None when not read): ``source``'s own leg decides; where it has no Connected
    leg to the target, the target's Connected leg back (Azure shows Connected only once both
    sides are peered) with the target's flag as the evidence. The words say why a Connected
    peering is no path ('' otherwise)."""
    ok, why = leg_path(source, target_id) if source is not None else (False, "")
    if ok or why:
        return ok, why
    if target is None:
        return False, ""
    return leg_path(target, source_id)


def reached_peers(vnet: Any) -> list[str]:
    """The remote VNets of ``vnet``'s peerings that are paths (Connected, access not false);
    a malformed flag counts (whether it passes cannot be read: the reach test that uses the
    peer says so), so a live scan reads that VNet as well."""
    out: list[str] = []
    found = get_key(_props(vnet), "virtualNetworkPeerings") if isinstance(vnet, dict) else None
    for peering in found if isinstance(found, list) else []:
        remote = _remote(_props(peering))
        if not remote or not connected(peering):
            continue
        try:
            ok = passes(peering)
        except Undeterminable:
            ok = True
        if ok:
            out.append(remote)
    return out


__all__ = [
    "ACCESS",
    "blocked_words",
    "connected",
    "leg_path",
    "legs",
    "passes",
    "path",
    "reached_peers",
]
