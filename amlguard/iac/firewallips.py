"""The private IP address of an Azure Firewall a template declares: known after deployment.

A template cannot write a firewall's private address (``ipConfigurations[*].properties.
privateIPAddress`` is read-only: Azure takes the first free address of the
``AzureFirewallSubnet``, the subnet's fourth, e.g. 10.100.0.4 in 10.100.0.0/26). Spokes of a
hub-and-spoke template name that address as their DNS server (the firewall's DNS proxy), so
without it every zone such a spoke resolves would fail as "not a firewall DNS proxy". Rows keep
the address absent (as the template writes it); :func:`candidates` works out the one Azure
would give, and :mod:`amlguard.iac.peeringworlds` judges the scan again with it: a finding whose
verdict changes is ``error`` (unknown before deployment), never a pass on a guess.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from amlguard.scanner import ids

Row = dict[str, Any]

FIREWALL = "microsoft.network/azurefirewalls"
VNET = "microsoft.network/virtualnetworks"
#: the source-header key: lower-cased firewall id -> the address Azure would give it
FIREWALL_ADDRESSES = "firewall_addresses"
#: the offset of the first address Azure gives in a subnet (.0 to .3 are reserved)
FIRST_FREE = 4

__all__ = ["FIREWALL_ADDRESSES", "candidates", "with_addresses"]


def _get(value: Any, name: str) -> Any:
    if not isinstance(value, dict):
        return None
    low = name.lower()
    return next((v for k, v in value.items() if isinstance(k, str) and k.lower() == low), None)


def _subnet_prefixes(rows: Iterable[Row]) -> dict[str, str]:
    """Lower-cased subnet id -> its (first) address prefix, for the VNets in ``rows``."""
    out: dict[str, str] = {}
    for row in rows:
        if str(row.get("type") or "").lower() != VNET:
            continue
        subnets = _get(row.get("properties"), "subnets")
        for subnet in subnets if type(subnets) is list else ():
            name = _get(subnet, "name")
            props = _get(subnet, "properties")
            prefix = _get(props, "addressPrefix")
            if prefix is None:
                many = _get(props, "addressPrefixes")
                prefix = many[0] if type(many) is list and many else None
            if type(name) is str and type(prefix) is str:
                out[ids.norm(f"{row.get('id')}/subnets/{name}")] = prefix
    return out


def _first_free(prefix: str) -> str:
    try:
        net = ipaddress.ip_network(prefix.strip(), strict=False)
    except ValueError:
        return ""
    if net.version != 4 or net.num_addresses <= FIRST_FREE + 1:
        return ""
    return str(net.network_address + FIRST_FREE)


def candidates(rows: Iterable[Row], only: set[str] | None = None) -> dict[str, str]:
    """Lower-cased id of each firewall in ``rows`` (of those ``only`` lists, when given) whose
    private address is not written -> the address Azure would give it (its
    AzureFirewallSubnet's first free one)."""
    rows = list(rows)
    prefixes: dict[str, str] | None = None
    out: dict[str, str] = {}
    for row in rows:
        if str(row.get("type") or "").lower() != FIREWALL:
            continue
        if only is not None and ids.norm(row.get("id")) not in only:
            continue
        configs = _get(row.get("properties"), "ipConfigurations")
        for cfg in configs if type(configs) is list else ():
            props = _get(cfg, "properties")
            subnet = _get(_get(props, "subnet"), "id")
            if type(subnet) is not str or _get(props, "privateIPAddress") is not None:
                continue
            if ids.short_name(subnet).lower() != "azurefirewallsubnet":
                continue
            if prefixes is None:
                prefixes = _subnet_prefixes(rows)
            address = _first_free(prefixes.get(ids.norm(subnet), ""))
            if address:
                out[ids.norm(row.get("id"))] = address
            break  # only the subnet's configuration has a private address
    return dict(sorted(out.items()))


def with_addresses(rows: Iterable[Row], chosen: dict[str, str]) -> list[Row]:
    """``rows`` with each firewall ``chosen`` names given that private address (copied)."""
    out = []
    for row in rows:
        address = chosen.get(ids.norm(row.get("id"))) if chosen else None
        props = row.get("properties")
        key = (
            next((k for k in props if k.lower() == "ipconfigurations"), None)
            if (address and type(props) is dict)
            else None
        )
        configs = props.get(key) if key is not None and type(props) is dict else None
        if address is None or type(props) is not dict or type(configs) is not list:
            out.append(row)
            continue
        new = []
        for cfg in configs:
            cprops = _get(cfg, "properties")
            if address and type(cprops) is dict and type(_get(_get(cprops, "subnet"), "id")) is str:
                pkey = next(k for k in cfg if k.lower() == "properties")
                cfg = {**cfg, pkey: {**cprops, "privateIPAddress": address}}
                address = ""  # only the subnet's configuration has a private address
            new.append(cfg)
        out.append({**row, "properties": {**props, str(key): new}})
    return out
