"""The storage accounts and container registries an AML registry keeps per region
(``properties.regionDetails[*]``, real-estates 2b): AMLG-241 judges them as part of the
instance that integrates the registry, so a live scan reads them (and the zone groups of their
private endpoints) even when their managed resource group is outside the scan's scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.instances import Instance
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.linked import referenced_ids

AML_REGISTRY = "microsoft.machinelearningservices/registries"
#: where a registry names its regional storage and ACR (the paths AMLG-241 reads; a test keeps
#: the two in step)
REGION_PATHS = (
    "properties.regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount.armResourceId.resourceId",
    "properties.regionDetails[*].storageAccountDetails[*].userCreatedStorageAccount.armResourceId.resourceId",
    "properties.regionDetails[*].acrDetails[*].systemCreatedAcrAccount.armResourceId.resourceId",
    "properties.regionDetails[*].acrDetails[*].userCreatedAcrAccount.armResourceId.resourceId",
)


def region_resources(registry: dict[str, Any]) -> list[str]:
    """The storage account and container registry ids a registry row names, in path order."""
    try:
        return referenced_ids(registry, list(REGION_PATHS))
    except Undeterminable:  # only a malformed path raises: these are fixed
        return []


def of_instances(inv: Inventory, instances: Iterable[Instance]) -> list[str]:
    """The regional resources of the registries these instances integrate (registries the
    inventory holds), once each, in instance order."""
    out: dict[str, str] = {}
    for inst in instances:
        for rid in inst.integrated:
            if ids.parse(rid).type != AML_REGISTRY:
                continue
            registry = inv.get(rid)
            if registry is not None:
                for named in region_resources(registry):
                    out.setdefault(ids.norm(named), named)
    return list(out.values())
