"""Network interfaces whose VNet cannot be read (redteam5 defects 5/8, AMLG-302).

The inventory indexes a NIC under the VNets its IP configurations' subnets name. A NIC whose
subnet id is unknown before deployment (``[reference(vnet).subnets[1].id]`` in a template), is
text that names no subnet (``""``, ``"garbage"``, the VNet's own id: redteam9 item 12), or
whose ``ipConfigurations`` have the wrong shape, is indexed under no VNet, so a rule counting
the NICs of a VNet would never see it: a public IP on it would pass. :func:`unplaced` lists
those NICs (built once per inventory) with why they cannot be placed, and :func:`check`
raises "cannot be judged" for a VNet when one of them may be in it and carries (or may carry)
a public IP.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids, shapes
from amlguard.scanner.inventory import NIC, Inventory
from amlguard.scanner.paths import MISSING, get_key
from amlguard.scanner.shapes import MalformedValue, UnknownAt, Where
from amlguard.textsafe import visible

__all__ = ["check", "names_subnet", "unplaced"]


def names_subnet(subnet_id: str) -> bool:
    """Whether ``subnet_id`` names a subnet of a virtual network the index can file a NIC
    under (``<vnet id>/subnets/<name>``, the VNet id with its subscription and resource group,
    as ``ids.vnet_of_subnet`` reads it): ``""``, garbage or a VNet's own id do not."""
    vnet = ids.vnet_of_subnet(subnet_id)
    if not vnet:
        return False
    parts = ids.parse(vnet)
    return bool(
        parts.type == "microsoft.network/virtualnetworks"
        and parts.subscription_id
        and parts.resource_group
        and parts.name
    )


def unplaced(inv: Inventory) -> list[tuple[str, str, Exception]]:
    """(NIC id, subscription, why) of each NIC with a public IP (or an unreadable one) whose
    subnet cannot be read; built once per inventory."""
    memo = inv.memo.setdefault("unplacedNics", {})
    found = memo.get("")
    if found is None:
        found = memo[""] = [
            entry for nic in inv.of_type(NIC) if not _placed(nic) and (entry := _unplaced(nic))
        ]
    return found


def _placed(nic: dict[str, Any]) -> bool:
    """True when :func:`_unplaced` would find nothing to say about ``nic``, read without its
    ``Where`` paths and id parse: every member at its exact spelling, of the shape it needs
    (False: ask :func:`_unplaced`, which reads the rest the general way)."""
    props = nic.get("properties")
    if props is None:
        return True
    if type(props) is not dict:
        return False
    configs = props.get("ipConfigurations", MISSING)
    if configs is None:
        return True
    if type(configs) is not list:
        return False
    for cfg in configs:
        if type(cfg) is not dict:
            return False
        cprops = cfg.get("properties", MISSING)
        if type(cprops) is not dict:
            return False
        subnet = cprops.get("subnet", MISSING)
        if subnet is None:
            continue
        sid = subnet.get("id", MISSING) if type(subnet) is dict else MISSING
        if type(sid) is str:
            if not names_subnet(sid):  # text that names no subnet: ask _unplaced
                return False
        elif sid is not None:
            return False
    return True


def _unplaced(nic: dict[str, Any]) -> tuple[str, str, Exception] | None:
    rid = str(nic.get("id") or "")
    at = Where(rid, "properties")
    sub = ids.parse(rid).subscription_id.lower()
    try:
        props = shapes.obj(nic.get("properties"), at) or {}
        configs = shapes.items(shapes.member(props, "ipConfigurations"), at / "ipConfigurations")
        for i, cfg in enumerate(configs or []):
            cat = at / "ipConfigurations" / i
            body = shapes.obj(cfg, cat) or {}
            cprops = shapes.obj(get_key(body, "properties"), cat / "properties") or {}
            public = get_key(cprops, "publicIPAddress")
            subnet = shapes.obj(get_key(cprops, "subnet"), cat / "properties" / "subnet")
            sat = cat / "properties" / "subnet" / "id"
            try:
                sid = shapes.text(shapes.member(subnet, "id"), sat)
                if sid is not None and not names_subnet(sid):
                    raise MalformedValue(
                        f"{visible(str(sat))} is {shapes.describe(sid)}, which names no subnet: "
                        "cannot be judged"
                    )
            except (UnknownAt, MalformedValue) as exc:
                if public is not MISSING and public is not None:
                    return rid, sub, exc
    except (UnknownAt, MalformedValue) as exc:
        return rid, sub, exc
    return None


def check(inv: Inventory, vnet_id: str) -> None:
    """Raise "cannot be judged" when a NIC that cannot be placed may be in ``vnet_id`` (same
    subscription) with a public IP."""
    found = unplaced(inv)
    if not found:
        return
    sub = ids.parse(vnet_id).subscription_id.lower()
    for nic_id, nic_sub, why in found:
        if nic_sub == sub:
            raise MalformedValue(
                f"network interface {ids.short_if_id(nic_id)} may be in VNet "
                f"{ids.short_if_id(vnet_id)} with a public IP, but its subnet cannot be read: "
                f"{why}"
            )
