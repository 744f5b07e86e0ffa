"""Azure Firewall DNS proxies that forward to DNS servers of their own (AMLG-301).

A firewall whose DNS proxy is on forwards every query it receives: to Azure-provided DNS when
its policy (``dnsSettings.servers``) or, for a classic firewall, its
``additionalProperties["Network.DNS.Servers"]`` names no server, and then the zones linked to the
firewall's own VNet answer; otherwise to those servers, and the firewall's VNet links play no
part. A zone then resolves through the proxy only when every server it forwards to resolves it
(a query may go to any of them); a server that is not a Private Resolver inbound endpoint or a
``trusted_dns_servers`` entry (on-premises DNS, say) is not attributable, as a custom DNS server
of the solution VNet is not. Another proxy behind a proxy is not followed.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner.context import Undeterminable
from amlguard.scanner.paths import get_key
from amlguard.scanner.unknown import Unknown, UnknownValue

#: the classic firewall's settings (``additionalProperties``) that name its DNS servers
CLASSIC_SERVERS = "Network.DNS.Servers"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def forwarded_to(firewall: Any, policy: Any, classic: bool, where: str) -> list[str]:
    """The servers a proxy firewall forwards to ([]: Azure-provided DNS), as written.

    ``classic``: the firewall's own ``additionalProperties`` turn the proxy on (no policy).
    A value that is not a list of strings (or, classic, a comma-separated string) is an
    ``Undeterminable`` naming the firewall: where its queries go cannot be read.
    """
    if classic:
        props = _dict(get_key(firewall, "properties"))
        raw = get_key(_dict(get_key(props, "additionalProperties")), CLASSIC_SERVERS)
        if raw is None or raw == "":
            return []
        if type(raw) is Unknown:
            raise UnknownValue(raw)
        if not isinstance(raw, str):
            raise Undeterminable(f"{where}: {CLASSIC_SERVERS} is not text, so where its DNS "
                                 "proxy forwards cannot be read")  # fmt: skip
        return [s.strip() for s in raw.split(",") if s.strip()]
    settings = _dict(get_key(_dict(get_key(policy, "properties")), "dnsSettings"))
    raw = get_key(settings, "servers")
    if raw is None:
        return []
    unknown = next(
        (s for s in (raw if isinstance(raw, list) else [raw]) if type(s) is Unknown), None
    )
    if unknown is not None:  # known only after deployment: where it forwards cannot be judged
        raise UnknownValue(unknown)
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise Undeterminable(
            f"{where}: its policy's dnsSettings.servers is not a list of addresses, so where "
            "its DNS proxy forwards cannot be read"
        )
    return [s.strip() for s in raw if s.strip()]


def unknown_switch(firewall: Any, policy: Any) -> Unknown | None:
    """The proxy switch when it is known only after deployment (a template's ``reference()``):
    the policy's ``dnsSettings.enableProxy`` or the classic ``Network.DNS.EnableProxy``."""
    settings = _dict(get_key(_dict(get_key(policy, "properties")), "dnsSettings"))
    props = _dict(get_key(firewall, "properties"))
    classic = get_key(_dict(get_key(props, "additionalProperties")), "Network.DNS.EnableProxy")
    for value in (get_key(settings, "enableProxy"), classic):
        if type(value) is Unknown:
            return value
    return None


def hub_address(firewall: Any) -> tuple[str, str]:
    """(private IP as written, virtual hub id) of an Azure Firewall in a secured Virtual WAN hub
    (sku ``AZFW_Hub``: ``properties.hubIPAddresses.privateIPAddress`` and
    ``properties.virtualHub.id``, no ``ipConfigurations``); ('', '') for any other firewall."""
    props = _dict(get_key(firewall, "properties"))
    ip = get_key(_dict(get_key(props, "hubIPAddresses")), "privateIPAddress")
    hub = get_key(_dict(get_key(props, "virtualHub")), "id")
    if not isinstance(ip, str) or not isinstance(hub, str) or not ip.strip() or not hub.strip():
        return "", ""
    return ip.strip(), hub.strip()
