"""Private endpoints, DNS zone groups, and public-network-access PATCH on the PaaS targets.

Network writes answer 201 + ``Azure-AsyncOperation`` (the SDK polls, then GETs the resource).
Creating an endpoint auto-approves it and adds the connection to the target, as Azure does when
the caller may approve. Server-side rules: the target must exist; a container registry must be
Premium and a Cognitive Services account needs a custom subdomain (the error codes for these two
are invented: Azure's are not documented); a zone group's zones must exist. Registry and
Cognitive Services PATCH answer 202 + ``Azure-AsyncOperation``; storage and key vault answer 200.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.emulator.mls import locked_route
from tests.emulator.server import Emulator, Request, Response, arm_error, as_arm_body, deep_merge

_RG = r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
PE = r"(?P<pe>" + _RG + r"Microsoft\.Network/privateEndpoints/[^/]+)"
_SYNC_PATCH = r"Microsoft\.Storage/storageAccounts|Microsoft\.KeyVault/vaults"
_ASYNC_PATCH = r"Microsoft\.ContainerRegistry/registries|Microsoft\.CognitiveServices/accounts"


def _connections(props: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
        value = props.get(key)
        out += [c for c in value or [] if isinstance(c, dict)]
    return out


def _reject_target(target: dict[str, Any] | None, target_id: str) -> Response | None:
    if target is None:
        return arm_error(
            400, "PrivateLinkServiceNotFound", f"Private link resource {target_id} not found."
        )
    rtype = str(target.get("type", "")).lower()
    sku = str((target.get("sku") or {}).get("name", ""))
    if rtype == "microsoft.containerregistry/registries" and sku.lower() != "premium":
        return arm_error(  # invented code; the rule is documented (private link needs Premium)
            400,
            "RegistrySkuNotSupported",
            f"Private endpoints need a Premium registry; {target_id} is {sku or 'unknown'}.",
        )
    props = target.get("properties") or {}
    if rtype == "microsoft.cognitiveservices/accounts" and not props.get("customSubDomainName"):
        return arm_error(  # invented code; the rule is documented
            400,
            "CustomSubDomainNameRequired",
            f"Private endpoints need a custom subdomain on {target_id}.",
        )
    return None


def register(emu: Emulator) -> None:
    """Add the network and public-network-access routes to ``emu``."""

    @locked_route(emu, "PUT", PE)
    def put_endpoint(req: Request, m: re.Match[str]) -> Response:
        pe_id = m.group("pe")
        body = copy.deepcopy(req.body) if isinstance(req.body, dict) else {}
        props = body.setdefault("properties", {})
        subnet = str((props.get("subnet") or {}).get("id") or "")
        vnet_id = subnet.lower().split("/subnets/")[0]
        if not subnet or emu.get(vnet_id) is None:
            return arm_error(400, "InvalidResourceReference", f"Subnet {subnet!r} not found.")
        conns = _connections(props)
        if not conns:
            return arm_error(
                400, "InvalidRequestFormat", "A private link service connection is needed."
            )
        for conn in conns:
            target_id = str((conn.get("properties") or {}).get("privateLinkServiceId") or "")
            rejected = _reject_target(emu.get(target_id), target_id)
            if rejected is not None:
                return rejected
        existed = emu.get(pe_id) is not None
        for conn in conns:
            cprops = conn.setdefault("properties", {})
            conn.setdefault(
                "id", f"{pe_id}/privateLinkServiceConnections/{conn.get('name', 'conn')}"
            )
            cprops["privateLinkServiceConnectionState"] = {
                "status": "Approved",
                "description": "Auto-Approved",
                "actionsRequired": "None",
            }
            _add_target_connection(emu, str(cprops["privateLinkServiceId"]), pe_id)
        props["provisioningState"] = "Succeeded"
        body.update({"id": pe_id, "name": pe_id.rsplit("/", 1)[-1]})
        body["type"] = "Microsoft.Network/privateEndpoints"
        return _created(emu, body, existed)

    @locked_route(emu, "PUT", PE + r"/privateDnsZoneGroups/(?P<name>[^/]+)")
    def put_zone_group(req: Request, m: re.Match[str]) -> Response:
        pe_id = m.group("pe")
        if emu.get(pe_id) is None:
            return arm_error(404, "ResourceNotFound", f"The Resource '{pe_id}' was not found.")
        body = copy.deepcopy(req.body) if isinstance(req.body, dict) else {}
        props = body.setdefault("properties", {})
        for cfg in props.get("privateDnsZoneConfigs") or []:
            zone = str(((cfg or {}).get("properties") or {}).get("privateDnsZoneId") or "")
            if emu.get(zone) is None:
                return arm_error(
                    400, "InvalidResourceReference", f"Private DNS zone {zone} not found."
                )
        zg_id = f"{pe_id}/privateDnsZoneGroups/{m.group('name')}"
        existed = emu.get(zg_id) is not None
        props["provisioningState"] = "Succeeded"
        body.update({"id": zg_id, "name": m.group("name")})
        body["type"] = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
        return _created(emu, body, existed)

    @locked_route(
        emu, "PATCH", r"(?P<id>" + _RG + "(?:" + _SYNC_PATCH + "|" + _ASYNC_PATCH + r")/[^/]+)"
    )
    def patch_target(req: Request, m: re.Match[str]) -> Response:
        rid = m.group("id")
        found = emu.get(rid)
        if found is None:
            return arm_error(404, "ResourceNotFound", f"The Resource '{rid}' was not found.")
        merged = deep_merge(copy.deepcopy(found), req.body if isinstance(req.body, dict) else {})
        emu.write(merged)
        if re.search(_ASYNC_PATCH, rid, re.I):
            return emu.lro(None, kind="async", initial_status=202)
        return Response(200, as_arm_body(merged))


def _created(emu: Emulator, body: dict[str, Any], existed: bool) -> Response:
    """Store a PUT's resource and answer as Microsoft.Network does: 200/201, then async."""
    emu.write(body)
    return emu.lro(
        None,
        kind="async",
        initial_status=200 if existed else 201,
        initial_body=as_arm_body(body),
    )


def _add_target_connection(emu: Emulator, target_id: str, pe_id: str) -> None:
    target = copy.deepcopy(emu.get(target_id))
    if target is None:
        return
    conns = target.setdefault("properties", {}).setdefault("privateEndpointConnections", [])
    if any(
        str(((c.get("properties") or {}).get("privateEndpoint") or {}).get("id", "")).lower()
        == pe_id.lower()
        for c in conns
    ):
        return
    name = pe_id.rsplit("/", 1)[-1]
    conns.append(
        {
            "id": f"{target['id']}/privateEndpointConnections/{name}",
            "name": name,
            "type": str(target.get("type", "")) + "/privateEndpointConnections",
            "properties": {
                "privateEndpoint": {"id": pe_id},
                "privateLinkServiceConnectionState": {
                    "status": "Approved",
                    "description": "Auto-Approved",
                    "actionsRequired": "None",
                },
                "provisioningState": "Succeeded",
            },
        }
    )
    emu.write(target)


def install(emu: Emulator) -> Any:
    """Register every remediation route (workspaces, authorization, network); returns the authz knobs."""
    from tests.emulator import authz, mls

    mls.register(emu)
    register(emu)
    return authz.register(emu)
