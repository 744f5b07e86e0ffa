"""Emulator routes for the integrations of issue 13 (part B): AI Search, Application Insights.

- ``PATCH .../Microsoft.Search/searchServices/{name}`` merges the body (Services_Update); the
  ``publicNetworkAccess`` enum is lower-case (``enabled``/``disabled``), any other spelling is a
  400 as the Search RP's validation gives (code invented, the enum is in the spec).
- ``PATCH .../Microsoft.Insights/components/{name}`` is Components_UpdateTags: only ``tags``
  change, whatever else the body says (the spec: "To update other fields use the CreateOrUpdate
  method").
- ``PUT .../Microsoft.Insights/components/{name}`` is Components_CreateOrUpdate: needs
  ``location``, ``kind`` and ``properties.Application_Type``; the read-only properties
  (instrumentation key, connection string, app id) stay the service's own.

Everything else (GETs, lists, the AMPLS and its scoped resources) is the generic ARM route.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.emulator.server import Emulator, Request, Response, arm_error, as_arm_body, deep_merge

_RG = r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
SEARCH = r"(?P<id>" + _RG + r"Microsoft\.Search/searchServices/[^/]+)"
COMPONENT = r"(?P<id>" + _RG + r"Microsoft\.Insights/components/[^/]+)"
_SEARCH_ACCESS = {"enabled", "disabled", "securedbyperimeter"}
_COMPONENT_READ_ONLY = (
    "AppId",
    "ApplicationId",
    "InstrumentationKey",
    "ConnectionString",
    "CreationDate",
    "TenantId",
    "provisioningState",
)


def _body(req: Request) -> dict[str, Any]:
    return copy.deepcopy(req.body) if isinstance(req.body, dict) else {}


def register(emu: Emulator) -> None:
    """Add the AI Search and Application Insights write routes to ``emu``."""

    @emu.route("PATCH", SEARCH)
    def patch_search(req: Request, m: re.Match[str]) -> Response:
        rid = m.group("id")
        with emu.lock:
            found = emu.get(rid)
            if found is None:
                return arm_error(404, "ResourceNotFound", f"The Resource '{rid}' was not found.")
            body = _body(req)
            access = (body.get("properties") or {}).get("publicNetworkAccess")
            if access is not None and str(access) not in _SEARCH_ACCESS:
                return arm_error(
                    400, "InvalidRequestParameter", f"publicNetworkAccess {access!r} is not valid."
                )
            merged = deep_merge(copy.deepcopy(found), body)
            emu.write(merged)
        return Response(200, as_arm_body(merged))

    @emu.route("PATCH", COMPONENT)
    def patch_component_tags(req: Request, m: re.Match[str]) -> Response:
        rid = m.group("id")
        with emu.lock:
            found = emu.get(rid)
            if found is None:
                return arm_error(404, "ResourceNotFound", f"The Resource '{rid}' was not found.")
            updated = copy.deepcopy(found)
            tags = _body(req).get("tags")
            if isinstance(tags, dict):
                updated["tags"] = tags
            emu.write(updated)
        return Response(200, as_arm_body(updated))

    @emu.route("PUT", COMPONENT)
    def put_component(req: Request, m: re.Match[str]) -> Response:
        rid = m.group("id")
        body = _body(req)
        props = body.get("properties")
        if not body.get("location") or not body.get("kind") or not isinstance(props, dict):
            return arm_error(400, "BadRequest", "location, kind and properties are required.")
        if not props.get("Application_Type"):
            return arm_error(400, "BadRequest", "properties.Application_Type is required.")
        with emu.lock:
            found = emu.get(rid)
            own = (found or {}).get("properties") or {}
            for key in _COMPONENT_READ_ONLY:
                props.pop(key, None)
                if key in own:
                    props[key] = own[key]
            body.update({"id": rid, "name": rid.rsplit("/", 1)[-1]})
            body["type"] = "microsoft.insights/components"
            emu.write(body)
        return Response(200 if found else 201, as_arm_body(body))
