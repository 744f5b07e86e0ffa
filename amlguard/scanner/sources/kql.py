"""The Resource Graph queries amlguard sends: few, narrow, and always paging-safe.

Every query projects ``id`` (without it Resource Graph returns no ``$skipToken`` and silently
truncates). The test emulator implements exactly this subset of KQL, so a new construct here
must be taught to ``tests/emulator/arg.py`` too (it answers anything else with a 400).
"""

from __future__ import annotations

from collections.abc import Iterable

ROLE_ASSIGNMENT = "microsoft.authorization/roleassignments"
SUBSCRIPTION = "microsoft.resources/subscriptions"

# The columns rules read (Resource Graph's standard ones minus managedBy/plan/zones/...).
RESOURCE_COLUMNS = (
    "id",
    "name",
    "type",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "tenantId",
    "sku",
    "identity",
    "properties",
    "tags",
)
ASSIGNMENT_COLUMNS = (
    "id",
    "name",
    "type",
    "tenantId",
    "subscriptionId",
    "resourceGroup",
    "properties",
)
# properties.managementGroupAncestorsChain says which management groups a subscription is under:
# what a role assignment at a management group covers.
SUBSCRIPTION_COLUMNS = ("id", "name", "type", "subscriptionId", "tenantId", "properties")


def quote(value: str) -> str:
    """A KQL single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _list(values: Iterable[str]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"


def resources(types: Iterable[str], resource_groups: Iterable[str] = ()) -> str:
    """Every resource of the given types (optionally only in these resource groups)."""
    parts = [f"resources | where type in~ {_list(sorted(types))}"]
    groups = sorted(set(resource_groups))
    if len(groups) == 1:
        parts.append(f"where resourceGroup =~ {quote(groups[0])}")
    elif groups:
        parts.append(f"where resourceGroup in~ {_list(groups)}")
    parts.append("project " + ", ".join(RESOURCE_COLUMNS))
    return " | ".join(parts)


def resources_by_id(resource_ids: Iterable[str]) -> str:
    """The resources with these ids, whatever their type."""
    return f"resources | where id in~ {_list(resource_ids)} | project " + ", ".join(
        RESOURCE_COLUMNS
    )


VNET_LINK = "microsoft.network/privatednszones/virtualnetworklinks"


def zone_links(zone_ids: Iterable[str]) -> str:
    """Every virtual network link of these private DNS zones (``startswith`` ignores case)."""
    under = " or ".join(
        f"id startswith {quote(z.rstrip('/') + '/virtualNetworkLinks/')}" for z in zone_ids
    )
    return f"resources | where type =~ {quote(VNET_LINK)} | where {under} | project " + ", ".join(
        RESOURCE_COLUMNS
    )


def role_assignments(role_definition_ids: Iterable[str]) -> str:
    """Role assignments of the given role definitions (by GUID, at any scope); all when none."""
    roles = " or ".join(
        f"tolower(tostring(properties.roleDefinitionId)) endswith {quote('/' + r.lower())}"
        for r in sorted(role_definition_ids)
    )
    where = f" | where {roles}" if roles else ""
    return (
        f"authorizationresources | where type =~ {quote(ROLE_ASSIGNMENT)}{where} | project "
        + ", ".join(ASSIGNMENT_COLUMNS)
    )


ROLE_DEFINITION = "microsoft.authorization/roledefinitions"


def role_definitions() -> str:
    """Role definitions (built-in and custom) with their permissions: AMLG-106 judges a role by
    what it grants, not by its name."""
    return (
        f"authorizationresources | where type =~ {quote(ROLE_DEFINITION)} | project "
        + ", ".join(ASSIGNMENT_COLUMNS)
    )


def options(query: str) -> dict[str, str]:
    """Request options a query needs besides paging: role assignments are asked for at the
    scope, below it *and above it* (management groups, the root), which is where inherited
    grants live; Resource Graph's default (AtScopeAndBelow) would leave those out."""
    if query.startswith("authorizationresources"):
        return {"authorizationScopeFilter": "AtScopeAboveAndBelow"}
    return {}


def subscriptions() -> str:
    """The subscriptions in scope that the caller can read."""
    return f"resourcecontainers | where type =~ {quote(SUBSCRIPTION)} | project " + ", ".join(
        SUBSCRIPTION_COLUMNS
    )
