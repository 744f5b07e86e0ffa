"""Deny assignment routes: the subscription list of the Authorization REST API.

``GET /subscriptions/{id}/providers/Microsoft.Authorization/denyAssignments`` answers every
deny assignment stored at or below the subscription (ARM's list includes those of its resource
groups and resources) and those at the management groups above it (``Deny.groups`` maps a
lower-cased management-group id to the subscriptions under it), paged like the generic list.
``Deny.fail`` maps a subscription id to an HTTP status to answer instead (a caller without
``denyAssignments/read``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.emulator.server import Emulator, Request, Response, arm_error, as_arm_body

_LIST = r"/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Authorization/denyAssignments"
TYPE = "microsoft.authorization/denyassignments"


@dataclass
class Deny:
    """Knobs of the deny-assignment route."""

    fail: dict[str, int] = field(default_factory=dict)  # lower subscription id -> status
    groups: dict[str, set[str]] = field(default_factory=dict)  # lower MG id -> lower subs


def install(emu: Emulator) -> Deny:
    """Add the deny-assignment list route to ``emu``."""
    knobs = Deny()

    @emu.route("GET", _LIST)
    def listing(req: Request, m: re.Match[str]) -> Response:
        sub = m.group("sub").lower()
        if sub in knobs.fail:
            status = knobs.fail[sub]
            return arm_error(status, "AuthorizationFailed", "no denyAssignments/read here")
        prefixes = (
            f"/subscriptions/{sub}/",
            *(f"{mg}/" for mg, subs in knobs.groups.items() if sub in subs),
        )
        with emu.lock:
            items = [
                as_arm_body(r)
                for key, r in sorted(emu.state.items())
                if key.startswith(prefixes) and str(r.get("type", "")).lower() == TYPE
            ]
        return Response(200, {"value": items})

    return knobs
