"""Before any write: does the caller hold every RBAC action the plan's writes need?"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from amlguard.errors import RemediationError
from amlguard.remediate import catalog
from amlguard.remediate.clients import ArmError, RemediationClients
from amlguard.remediate.plan import Plan
from amlguard.scanner import ids

PERMISSIONS_API_VERSION = "2022-04-01"


def _matches(pattern: str, action: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _allowed(entries: list[dict[str, Any]], action: str) -> bool:
    for e in entries:
        if any(_matches(p, action) for p in e.get("actions") or []) and not any(
            _matches(p, action) for p in e.get("notActions") or []
        ):
            return True
    return False


def _safe(fn: Callable[[str], Any]) -> Callable[[str], Any]:
    def call(arg: str) -> Any:
        try:
            return fn(arg)
        except ArmError as exc:
            return exc

    return call


def preflight(plan: Plan, clients: RemediationClients, concurrency: int = 8) -> list[str]:
    """Missing RBAC actions as ``action on scope``; [] when every write is allowed.

    Asks ``Microsoft.Authorization/permissions`` once per resource group involved, and at the
    exact scope only for what the resource group does not grant (rights can sit lower).
    """
    needed: list[tuple[str, str]] = []
    for a in plan.actions:
        remediator = catalog.get(a.remediator)
        if remediator is not None:
            needed += remediator.permissions(a)
    cache: dict[str, list[dict[str, Any]]] = {}

    def entries(scope: str) -> list[dict[str, Any]]:
        key = ids.norm(scope)
        if key not in cache:
            body = clients.get(
                f"{scope}/providers/Microsoft.Authorization/permissions", PERMISSIONS_API_VERSION
            )
            cache[key] = list((body or {}).get("value") or [])
        return cache[key]

    # The resource-group answers, fetched concurrently (one request per group).
    groups = sorted({ids.resource_group_scope(s) or s for s, _ in needed}, key=ids.norm)
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(groups) or 1))) as pool:
        for scope, result in zip(groups, pool.map(_safe(entries), groups), strict=True):
            if isinstance(result, ArmError):
                raise RemediationError(f"permission preflight on {scope} failed: {result}")

    missing: list[str] = []
    for scope, action in sorted(set(needed), key=lambda p: (ids.norm(p[0]), p[1].lower())):
        rg = ids.resource_group_scope(scope) or scope
        try:
            if _allowed(entries(rg), action):
                continue
            if ids.norm(rg) != ids.norm(scope) and _allowed(entries(scope), action):
                continue
        except ArmError as exc:
            raise RemediationError(f"permission preflight on {rg} failed: {exc}") from None
        missing.append(f"{action} on {scope}")
    return missing
