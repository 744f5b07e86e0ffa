"""The built-in remediators by name: what a rule's ``remediation.remediator`` may say.

Declared here (name, implementation, the rule parameters each reads, one-line doc) so that the
rule loader and the docs can list them without importing any remediator.
"""

from __future__ import annotations

from typing import Any

from amlguard.registry import Param, Registry

# Entries build ``amlguard.remediate.interface.Remediator`` instances; the type is not named
# here so that the rule loader can read this catalog without importing remediation (or
# reaching back into the scanner through it: no import cycle, not even for type checking).


def _instantiate(cls: Any) -> Any:
    return cls()


REMEDIATORS: Registry[Any] = Registry("remediator", _instantiate)

_PKG = "amlguard.remediate.remediators"

REMEDIATORS.declare(
    "approver-role",
    f"{_PKG}.roles:ApproverRole",
    "assigns the network connection approver role to the workspace's primary identity on the "
    "resource group of each resource it does not cover",
    (Param("role_definition_id", "string", "the role to assign (default: the approver role)"),),
)
REMEDIATORS.declare(
    "workspace-public-access",
    f"{_PKG}.workspace:WorkspacePublicAccess",
    "PATCHes the workspace's publicNetworkAccess to Disabled once its inbound private endpoint "
    "and DNS zone group are in place",
)
REMEDIATORS.declare(
    "workspace-isolation-mode",
    f"{_PKG}.workspace:WorkspaceIsolationMode",
    "PATCHes the managed network isolation mode up to the first mode the rule allows (never down)",
    (Param("allowed_modes", "array", "the isolation modes that pass, weakest first"),),
)
REMEDIATORS.declare(
    "workspace-image-build-compute",
    f"{_PKG}.workspace:WorkspaceImageBuildCompute",
    "PATCHes imageBuildCompute to the configured compute when it exists in the workspace",
    (
        Param("compute_name", "string", "the compute cluster that builds environment images"),
        Param(
            "image_build_compute_by_kind",
            "object",
            "per workspace kind, the compute instance to set instead (a hub has no clusters)",
        ),
    ),
)
REMEDIATORS.declare(
    "outbound-rules",
    f"{_PKG}.outbound:OutboundRules",
    "adds a PrivateEndpoint outbound rule per integrated resource that lacks one",
    (Param("require_spark", "boolean", "create the rules with sparkEnabled"),),
)
REMEDIATORS.declare(
    "managed-network-provision",
    f"{_PKG}.outbound:ManagedNetworkProvision",
    "provisions the workspace's managed network (with Spark when a rule wants it), last",
)
REMEDIATORS.declare(
    "private-endpoint",
    f"{_PKG}.endpoints:PrivateEndpoints",
    "creates the missing private endpoints in the solution subnet and their DNS zone groups",
)
REMEDIATORS.declare(
    "public-network-access",
    f"{_PKG}.access:PublicNetworkAccess",
    "PATCHes publicNetworkAccess to Disabled on storage, key vault, registry or AI account once "
    "its private endpoint and DNS zone group are in place",
)

# issue 13: the same write paths for the group ids a rule names (its ``groups`` parameter)
REMEDIATORS.declare(
    "outbound-rule-groups",
    f"{_PKG}.groups:OutboundRuleGroups",
    "adds a PrivateEndpoint outbound rule per group id a target lacks (never changes a user's "
    "rule)",
    (
        Param("groups", "array", "the group ids each target needs a rule for"),
        Param("require_spark", "boolean", "create the rules with sparkEnabled"),
    ),
)
REMEDIATORS.declare(
    "private-endpoint-groups",
    f"{_PKG}.groups:PrivateEndpointGroups",
    "creates a private endpoint per group id the rule names in the solution subnet, with its "
    "DNS zone group",
    (Param("groups", "array", "the group ids to create endpoints for"),),
)
REMEDIATORS.declare(
    "integrated-public-network-access",
    f"{_PKG}.groups:IntegratedPublicNetworkAccess",
    "PATCHes publicNetworkAccess to Disabled on integrated storage once its private endpoint and "
    "DNS zone group are in place; a manual step for storage only a datastore names",
)
REMEDIATORS.declare(
    "registry-admin-user",
    f"{_PKG}.hardening:RegistryAdminUser",
    "PATCHes a container registry's adminUserEnabled to false (the plan warns that clients "
    "still using the admin credentials break)",
)
REMEDIATORS.declare(
    "appinsights-public-access",
    f"{_PKG}.hardening:AppInsightsPublicAccess",
    "disables Application Insights public ingestion and query once an Azure Monitor private "
    "link scope with an approved private endpoint scopes the component",
)
REMEDIATORS.declare(
    "workspace-serverless-compute",
    f"{_PKG}.serverless:WorkspaceServerlessCompute",
    "PATCHes a customer-VNet workspace's serverlessComputeSettings to a subnet of the solution "
    "VNet without public IPs, when that subnet is known (else a manual step saying why)",
    (Param("fix_subnet", "string", "the subnet to use (default: chosen from the instance)"),),
)


def get(name: str) -> Any:
    """The remediator (``interface.Remediator``) declared under ``name`` (case-insensitive), or None."""
    return REMEDIATORS.get(name)


def names() -> list[str]:
    """Every built-in remediator name (what the rule loader accepts)."""
    return REMEDIATORS.names()
