"""What remediation reads straight from ARM: a cached view of live resources.

Used when a saved plan is re-derived before ``apply`` (every request is rebuilt from the live
workspace, never taken from the file), and by the run-time guard that cuts public access only
once the resource's private endpoint *and* DNS zone group are in place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from amlguard.scanner import ids, provisioning, zonegroups

NETWORK_API_VERSION = "2024-05-01"
_LINKS = ("storageAccount", "keyVault", "containerRegistry", "applicationInsights")

Reader = Callable[..., "dict[str, Any] | None"]


class Tampered(Exception):
    """A saved action declares something the planner would never produce."""


class NotReady(Exception):
    """A write's prerequisite is not in place in Azure now: the action is skipped, with why."""


def value_at(resource: dict[str, Any] | None, path: str) -> Any:
    """The value at a dotted path, keys matched case-insensitively; None when absent."""
    node: Any = resource
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        match = next((k for k in node if k.lower() == part.lower()), None)
        node = node.get(match) if match is not None else None
    return node


def _status(conn: Any) -> str:
    state = value_at(conn, "properties.privateLinkServiceConnectionState.status")
    return str(state or "").lower()


class LiveView:
    """ARM GETs through ``read(resource_id, api_version=None)``, each id read once.

    ``parameters``: rule id -> the rule's effective parameters (see ``ruleparams``), read where
    the planner read them.
    """

    def __init__(
        self,
        read: Reader,
        parameters: Mapping[str, Mapping[str, Any]] | None = None,
        cloud: str = "AzureCloud",
    ) -> None:
        self._read = read
        self.parameters = {str(k).upper(): v for k, v in (parameters or {}).items()}
        self.cloud = cloud
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._lock = threading.Lock()

    def param(self, rule_ids: Iterable[str], name: str) -> Any:
        """The parameter ``name`` of the first of ``rule_ids`` that has it (None if none)."""
        for rule_id in rule_ids:
            value = self.parameters.get(str(rule_id).upper(), {}).get(name)
            if value is not None:
                return value
        return None

    def get(self, resource_id: str, api_version: str | None = None) -> dict[str, Any] | None:
        """The live resource (None when it does not exist); ARM errors propagate."""
        key = (ids.norm(resource_id), api_version or "")
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        body = self._read(resource_id, api_version) if api_version else self._read(resource_id)
        with self._lock:
            self._cache[key] = body
        return body

    def prefetch(self, resource_ids: list[str], concurrency: int = 8) -> None:
        """Read these ids concurrently into the cache (an error is left for ``get`` to raise)."""
        from concurrent.futures import ThreadPoolExecutor

        unique = list({ids.norm(r): r for r in resource_ids if r}.values())

        def one(rid: str) -> None:
            try:
                self.get(rid)
            except Exception:  # re-raised by the get that needs the value
                return

        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(unique) or 1))) as pool:
            list(pool.map(one, unique))

    def workspace(self, instance_id: str) -> dict[str, Any]:
        """The live workspace of an instance; ``Tampered`` when it does not exist."""
        ws = self.get(instance_id)
        if ws is None or "/workspaces/" not in ids.norm(instance_id):
            raise Tampered(f"workspace {instance_id} does not exist in Azure")
        return ws

    def principal_id(self, instance_id: str) -> str | None:
        """The principal of the workspace's primary user-assigned identity, as ARM shows it."""
        ws = self.workspace(instance_id)
        primary = value_at(ws, "properties.primaryUserAssignedIdentity")
        if not isinstance(primary, str) or not primary:
            return None
        identities = value_at(ws, "identity.userAssignedIdentities")
        for key, value in (identities or {}).items() if isinstance(identities, dict) else []:
            if ids.norm(key) == ids.norm(primary) and isinstance(value, dict):
                principal = value_at(value, "principalId")
                if isinstance(principal, str) and principal:
                    return principal
                break
        else:
            return None  # the primary identity is not attached: not usable
        identity = self.get(primary, "2023-01-31")
        principal = value_at(identity, "properties.principalId")
        return principal if isinstance(principal, str) and principal else None

    def members(self, instance_id: str) -> set[str]:
        """Lower-cased ids the live workspace names: itself, its links, its PE rule targets."""
        from amlguard.scanner.instances import user_outbound_destinations

        ws = self.workspace(instance_id)
        out = {ids.norm(instance_id)}
        for link in _LINKS:
            value = value_at(ws, f"properties.{link}")
            if isinstance(value, str) and value.startswith("/"):
                out.add(ids.norm(value))
        out |= {ids.norm(d) for d in user_outbound_destinations(ws)}
        return out

    def owns(self, instance_id: str, target: str) -> bool:
        """Whether ``target`` belongs to the instance: named by the live workspace, or an AI
        account in the workspace's resource group (the default integration selector)."""
        if ids.norm(target) in self.members(instance_id):
            return True
        same_rg = ids.norm(ids.resource_group_scope(target)) == ids.norm(
            ids.resource_group_scope(instance_id)
        )
        return same_rg and ids.parse(target).type.lower() == "microsoft.cognitiveservices/accounts"

    def endpoint_not_ready(self, target_id: str) -> str:
        """Why public access on ``target_id`` may not be cut now ("" when it may): it needs an
        approved private endpoint whose DNS zone group exists, else clients in the VNet would
        resolve the public name and be locked out."""
        target = self.get(target_id)
        if target is None:
            return f"{ids.parse(target_id).name} does not exist"
        conns = value_at(target, "properties.privateEndpointConnections") or []
        endpoints = [
            str(value_at(c, "properties.privateEndpoint.id") or "")
            for c in conns
            if isinstance(c, dict) and _status(c) == "approved"
        ]
        endpoints = [e for e in endpoints if e]
        name = ids.parse(target_id).name
        if not endpoints:
            return f"{name} has no approved private endpoint"
        for pe in endpoints:
            row = self.get(pe, NETWORK_API_VERSION)
            if isinstance(row, dict) and not provisioning.in_place(row):
                continue  # its provisioning failed or has not finished: no private path yet
            groups = self.get(f"{pe}/privateDnsZoneGroups", NETWORK_API_VERSION)
            found = (
                [g for g in (groups.get("value") or []) if isinstance(g, dict)]
                if (isinstance(groups, dict) and isinstance(groups.get("value"), list))
                else []
            )
            # a zone group that failed (or has not settled) wrote no records (zonegroups)
            if found and all(zonegroups.state(g)[0] == zonegroups.IN_PLACE for g in found):
                return ""
        return f"the private endpoint of {name} has no DNS zone group"
