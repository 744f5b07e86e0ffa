"""Authorization routes: role assignment PUT with ARM's conflict rules, and permissions.

``PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`` answers 201 (created),
409 ``RoleAssignmentExists`` when the same principal already holds the role at that exact scope
(under any name), 400 ``RoleAssignmentUpdateNotPermitted`` when the name exists with another
principal or scope. GET and list are the emulator's generic routes.
``GET {scope}/providers/Microsoft.Authorization/permissions`` answers the caller's effective
permissions at a scope: ``Authz.permissions`` maps a scope prefix to them (default: ``*``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from tests.emulator.mls import locked_route
from tests.emulator.server import Emulator, Request, Response, arm_error, as_arm_body

_RA = r"(?P<scope>/.*?)/providers/Microsoft\.Authorization/roleAssignments/(?P<name>[^/]+)"
_PERMS = r"(?P<scope>/.*?)/providers/Microsoft\.Authorization/permissions"


@dataclass
class Authz:
    """Knobs of the authorization routes."""

    # scope (lower-cased id prefix) -> permission entries; the longest matching prefix wins.
    permissions: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"/": [{"actions": ["*"], "notActions": []}]}
    )

    def deny(self, scope: str, *not_actions: str) -> None:
        """Grant everything at ``scope`` except ``not_actions``."""
        self.permissions[scope.lower().rstrip("/")] = [
            {"actions": ["*"], "notActions": list(not_actions)}
        ]


def _guid(role_definition_id: str) -> str:
    return str(role_definition_id).rstrip("/").rsplit("/", 1)[-1].lower()


def register(emu: Emulator) -> Authz:
    """Add the authorization routes to ``emu``; returns their knobs."""
    authz = Authz()

    @locked_route(emu, "PUT", _RA)
    def put_assignment(req: Request, m: re.Match[str]) -> Response:
        scope, name = m.group("scope"), m.group("name")
        props = (req.body or {}).get("properties") if isinstance(req.body, dict) else None
        if (
            not isinstance(props, dict)
            or not props.get("roleDefinitionId")
            or not props.get("principalId")
        ):
            return arm_error(
                400,
                "InvalidRoleAssignmentRequest",
                "roleDefinitionId and principalId are required.",
            )
        ra_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        same = emu.get(ra_id)
        if same is not None:
            sp = same.get("properties") or {}
            if str(sp.get("principalId")).lower() != str(props["principalId"]).lower():
                return arm_error(
                    400,
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                )
            return arm_error(409, "RoleAssignmentExists", "The role assignment already exists.")
        for key, row in list(emu.state.items()):
            if "/providers/microsoft.authorization/roleassignments/" not in key:
                continue
            rp = row.get("properties") or {}
            if (
                str(rp.get("principalId", "")).lower() == str(props["principalId"]).lower()
                and _guid(rp.get("roleDefinitionId", "")) == _guid(props["roleDefinitionId"])
                and str(rp.get("scope", "")).lower().rstrip("/") == scope.lower().rstrip("/")
            ):
                return arm_error(409, "RoleAssignmentExists", "The role assignment already exists.")
        stored = {
            "id": ra_id,
            "name": name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {**copy.deepcopy(props), "scope": scope},
        }
        emu.write(stored)
        return Response(201, as_arm_body(stored))

    @emu.route("GET", _PERMS)
    def permissions(req: Request, m: re.Match[str]) -> Response:
        scope = m.group("scope").lower().rstrip("/")
        best = max(
            (p for p in authz.permissions if p == "/" or scope == p or scope.startswith(p + "/")),
            key=len,
        )
        return Response(200, {"value": copy.deepcopy(authz.permissions[best])})

    return authz
