"""A VNet's custom DNS servers, read strictly (redteam5 defect 8, AMLG-301).

``dhcpOptions.dnsServers`` absent means Azure-provided DNS; a value unknown before deployment
or of the wrong shape (one string where ARM has a list) cannot be judged: it is never read as
"no custom servers", which would make every zone resolve through the VNet's own links.
"""

from __future__ import annotations

from collections.abc import Callable

from amlguard.scanner import ids, shapes
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import get_key
from amlguard.scanner.shapes import Where

__all__ = ["dns_servers", "servers_of"]


def servers_of(inv: Inventory, vnet: Row, canonical: Callable[[str], str]) -> list[str]:
    """The VNet's DNS servers (``canonical`` IPs, else the text), read once per inventory and
    VNet: every zone of every instance in the VNet asks (an unreadable value raises each time)."""
    memo = inv.memo.get("dnsServers")
    if memo is None:
        memo = inv.memo["dnsServers"] = {}
    key = ids.norm(vnet.get("id"))
    found = memo.get(key)
    if found is None:
        try:
            found = [canonical(s) or s.strip() for s in dns_servers(vnet)]
        except Undeterminable as exc:
            found = exc
        memo[key] = found
    if isinstance(found, Undeterminable):
        raise found
    return list(found)


def dns_servers(vnet: Row) -> list[str]:
    """A VNet's ``dhcpOptions.dnsServers`` ([] when absent: Azure-provided DNS); a value that
    is unknown before deployment or not a list of strings cannot be judged (never "none")."""
    at = Where(vnet.get("id", "?"), "properties")
    props = shapes.obj(get_key(vnet, "properties"), at)
    dhcp = shapes.obj(shapes.member(props, "dhcpOptions"), at / "dhcpOptions")
    return shapes.strings(shapes.member(dhcp, "dnsServers"), at / "dhcpOptions" / "dnsServers")
