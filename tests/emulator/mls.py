"""Machine Learning workspace routes: PATCH (Location LRO), outbound rules, managed network.

What azure-ai-ml expects (azure-facts.md sections 2 and Part 2): every write answers 202 with a
``Location`` monitor (never 201), the monitor's final 200 body is the result (workspace, rule,
or ``{status, sparkReady}``), and ``Retry-After-Ms`` keeps polls fast. Server-side rules Azure
enforces: no isolation downgrade; provisioning needs managed isolation. Error codes for rejected
transitions are not documented by Azure; the ones here are invented (marked below).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from tests.emulator.server import (
    Emulator,
    Handler,
    Request,
    Response,
    arm_error,
    as_arm_body,
    deep_merge,
)

WS = r"(?P<ws>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+)"
_ORDER = {"disabled": 0, "allowinternetoutbound": 1, "allowonlyapprovedoutbound": 2}
_RULE_TYPE = "workspace/outboundRules"  # the literal type every spec example uses


def _network(ws: dict[str, Any]) -> dict[str, Any]:
    props = ws.setdefault("properties", {})
    net = props.get("managedNetwork")
    if not isinstance(net, dict):
        net = props["managedNetwork"] = {"isolationMode": "Disabled"}
    return net


def _rule_body(ws_id: str, name: str, rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{ws_id}/outboundRules/{name}",
        "name": name,
        "type": _RULE_TYPE,
        "properties": copy.deepcopy(rule),
    }


def locked_route(emu: Emulator, method: str, pattern: str) -> Callable[[Handler], Handler]:
    """``emu.route`` whose handler runs under the emulator lock (read-modify-write is atomic)."""

    def register(handler: Handler) -> Handler:
        def guarded(req: Request, m: re.Match[str]) -> Response:
            with emu.lock:
                return handler(req, m)

        emu.route(method, pattern)(guarded)
        return handler

    return register


def register(emu: Emulator) -> None:
    """Add the workspace routes to ``emu``."""

    def workspace(req: Request, m: re.Match[str]) -> tuple[str, dict[str, Any] | None]:
        ws_id = m.group("ws")
        found = emu.get(ws_id)
        return ws_id, copy.deepcopy(found) if found is not None else None

    @locked_route(emu, "PATCH", WS)
    def patch_workspace(req: Request, m: re.Match[str]) -> Response:
        ws_id, ws = workspace(req, m)
        if ws is None:
            return arm_error(404, "ResourceNotFound", f"The Resource '{ws_id}' was not found.")
        body = req.body if isinstance(req.body, dict) else {}
        wanted = ((body.get("properties") or {}).get("managedNetwork") or {}).get("isolationMode")
        if wanted:
            current = str(_network(ws).get("isolationMode") or "Disabled").lower()
            if str(wanted).lower() not in _ORDER:
                return arm_error(400, "InvalidIsolationMode", f"Unknown isolation mode {wanted}.")
            if _ORDER[str(wanted).lower()] < _ORDER.get(current, 0):
                # Invented code: Azure documents the rule, not the error it answers with.
                return arm_error(
                    400,
                    "InvalidIsolationModeTransition",
                    f"Managed network isolation cannot be downgraded from {current} to {wanted}.",
                )
        merged = deep_merge(ws, body)
        emu.write(merged)
        return emu.lro(as_arm_body(merged), kind="location")

    @locked_route(emu, "GET", WS + r"/outboundRules")
    def list_rules(req: Request, m: re.Match[str]) -> Response:
        ws_id, ws = workspace(req, m)
        if ws is None:
            return arm_error(404, "ResourceNotFound", f"The Resource '{ws_id}' was not found.")
        rules = _network(ws).get("outboundRules") or {}
        return Response(200, {"value": [_rule_body(ws_id, n, r) for n, r in sorted(rules.items())]})

    @locked_route(emu, "GET", WS + r"/outboundRules/(?P<rule>[^/]+)")
    def get_rule(req: Request, m: re.Match[str]) -> Response:
        ws_id, ws = workspace(req, m)
        rules = _network(ws).get("outboundRules") or {} if ws else {}
        name = _find(rules, m.group("rule"))
        if name is None:
            return arm_error(404, "ResourceNotFound", f"Outbound rule {m.group('rule')} not found.")
        return Response(200, _rule_body(ws_id, name, rules[name]))

    @locked_route(emu, "PUT", WS + r"/outboundRules/(?P<rule>[^/]+)")
    def put_rule(req: Request, m: re.Match[str]) -> Response:
        ws_id, ws = workspace(req, m)
        if ws is None:
            return arm_error(404, "ResourceNotFound", f"The Resource '{ws_id}' was not found.")
        props = (req.body or {}).get("properties") if isinstance(req.body, dict) else None
        if not isinstance(props, dict) or not props.get("type"):
            return arm_error(400, "InvalidRequestContent", "properties.type is required.")
        net = _network(ws)
        if str(net.get("isolationMode", "Disabled")).lower() == "disabled":
            return arm_error(
                400, "ManagedNetworkNotEnabled", "Outbound rules need managed network isolation."
            )
        rules = net.setdefault("outboundRules", {})
        name = _find(rules, m.group("rule")) or m.group("rule")
        rule = copy.deepcopy(props)
        rule.setdefault("category", "UserDefined")
        active = str((net.get("status") or {}).get("status", "")).lower() == "active"
        rule["status"] = "Active" if active else "Inactive"
        rules[name] = rule
        emu.write(ws)
        return emu.lro(_rule_body(ws_id, name, rule), kind="location")

    @locked_route(emu, "DELETE", WS + r"/outboundRules/(?P<rule>[^/]+)")
    def delete_rule(req: Request, m: re.Match[str]) -> Response:
        _ws_id, ws = workspace(req, m)
        rules = _network(ws).get("outboundRules") or {} if ws else {}
        name = _find(rules, m.group("rule"))
        if ws is None or name is None:
            return Response(204)
        del rules[name]
        emu.write(ws)
        return emu.lro(None, kind="location")

    @locked_route(emu, "POST", WS + r"/provisionManagedNetwork")
    def provision(req: Request, m: re.Match[str]) -> Response:
        ws_id, ws = workspace(req, m)
        if ws is None:
            return arm_error(404, "ResourceNotFound", f"The Resource '{ws_id}' was not found.")
        net = _network(ws)
        if str(net.get("isolationMode", "Disabled")).lower() == "disabled":
            return arm_error(
                400,
                "ManagedNetworkNotEnabled",
                "The workspace has no managed network to provision.",
            )
        spark = bool((req.body or {}).get("includeSpark")) if isinstance(req.body, dict) else False
        spark = spark or bool((net.get("status") or {}).get("sparkReady"))
        status = {"status": "Active", "sparkReady": spark}

        def finish() -> None:
            with emu.lock:  # re-read: other writes may have landed while the operation ran
                current = copy.deepcopy(emu.get(ws_id))
                if current is None:
                    return
                cnet = _network(current)
                cnet["status"] = dict(status)
                for rule in (cnet.get("outboundRules") or {}).values():
                    rule["status"] = "Active"
                    dest = rule.get("destination")
                    if isinstance(dest, dict) and dest.get("sparkEnabled") and spark:
                        dest["sparkStatus"] = "Active"
                emu.write(current)

        return emu.lro(dict(status), kind="location", on_complete=finish)


def _find(rules: dict[str, Any], name: str) -> str | None:
    for key in rules:
        if key.lower() == name.lower():
            return key
    return None
