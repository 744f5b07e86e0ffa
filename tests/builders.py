"""Estate builders: blueprint instances as Resource Graph rows, with knobs for drift.

Tests, the example estates and the benchmark generator all build estates here instead of
pasting JSON. ``blueprint()`` returns a fully compliant instance (the seed article's
deployment); tests then change one thing and assert one rule flips.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

APPROVER_ROLE = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"

Row = dict[str, Any]


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def rid(sub: str, rg: str, provider_type: str, name: str) -> str:
    """An ARM id in Azure's usual casing."""
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider_type}/{name}"


def row(
    resource_id: str,
    rtype: str,
    location: str = "westeurope",
    properties: dict[str, Any] | None = None,
    **extra: Any,
) -> Row:
    """A row in Resource Graph's shape (lower-case type; id keeps its casing)."""
    parts = resource_id.split("/")
    out: Row = {
        "id": resource_id,
        "name": parts[-1],
        "type": rtype.lower(),
        "kind": extra.pop("kind", ""),
        "location": location,
        "resourceGroup": parts[4].lower() if len(parts) > 4 else "",
        "subscriptionId": parts[2] if len(parts) > 2 else "",
        "tenantId": TENANT,
        "sku": extra.pop("sku", None),
        "identity": extra.pop("identity", None),
        "properties": properties or {},
        "tags": extra.pop("tags", {}),
    }
    out.update(extra)
    return out


def connection(target_id: str, group: str, status: str = "Approved", name: str = "conn") -> Row:
    return {
        "id": f"{target_id}/privateLinkServiceConnections/{name}",
        "name": name,
        "properties": {
            "privateLinkServiceId": target_id,
            "groupIds": [group],
            "privateLinkServiceConnectionState": {
                "status": status,
                "description": "Auto-approved",
                "actionsRequired": "None",
            },
        },
    }


@dataclass
class Instance:
    """The rows of one blueprint instance, by role, so tests can drift one piece."""

    sub: str
    rg: str
    prefix: str
    workspace: Row
    identity: Row
    storage: Row
    keyvault: Row
    registry: Row
    insights: Row
    openai: Row
    vnet: Row
    endpoints: dict[str, Row] = field(default_factory=dict)  # key: target role + group
    zone_groups: dict[str, Row] = field(default_factory=dict)
    zones: dict[str, Row] = field(default_factory=dict)  # zone name -> row
    links: dict[str, Row] = field(default_factory=dict)
    nics: list[Row] = field(default_factory=list)
    role_assignments: list[Row] = field(default_factory=list)
    extra: list[Row] = field(default_factory=list)
    projects: list[Row] = field(default_factory=list)  # project workspaces of a hub

    @property
    def subnet_id(self) -> str:
        return f"{self.vnet['id']}/subnets/snet-endpoints"

    @property
    def principal_id(self) -> str:
        return str(self.identity["properties"]["principalId"])

    def rows(self) -> list[Row]:
        out = [
            self.workspace,
            self.identity,
            self.storage,
            self.keyvault,
            self.registry,
            self.insights,
            self.openai,
            self.vnet,
        ]
        out += list(self.endpoints.values()) + list(self.zone_groups.values())
        out += list(self.zones.values()) + list(self.links.values())
        out += self.nics + self.role_assignments + self.extra + self.projects
        return [copy.deepcopy(r) for r in out]

    # ---- drift knobs used by tests and the drifted example
    def remove_endpoint(self, key: str) -> None:
        pe = self.endpoints.pop(key)
        self.zone_groups.pop(key, None)
        target = pe["properties"]["privateLinkServiceConnections"][0]["properties"][
            "privateLinkServiceId"
        ]
        for target_row in self._all():
            if target_row["id"] == target:
                conns = target_row["properties"].get("privateEndpointConnections", [])
                target_row["properties"]["privateEndpointConnections"] = [
                    c for c in conns if c["properties"]["privateEndpoint"]["id"] != pe["id"]
                ]

    def use_shared(self, name: str, owner: Instance) -> None:
        """Use ``owner``'s resource ``name`` (``registry``, ``keyvault``, ``storage`` or
        ``openai``) instead of this instance's own: one resource many workspaces share.

        This instance's links and endpoints are re-pointed at the shared resource, which gains
        their private endpoint connections. Call ``rows()`` after every share is made.
        """
        mine, shared = getattr(self, name), getattr(owner, name)
        old, new = mine["id"], shared["id"]
        for r in [self.workspace, *self.endpoints.values()]:
            _replace_strings(r, old, new)
        for conn in mine["properties"].get("privateEndpointConnections", []):
            conn = copy.deepcopy(conn)
            conn["id"] = new + conn["id"][len(old) :]
            shared["properties"].setdefault("privateEndpointConnections", []).append(conn)
        setattr(self, name, shared)

    def use_hub_zones(self, hub: dict[str, Row], sub: str, rg: str = "rg-hub-dns") -> None:
        """Move this instance's private DNS zones to a hub shared with other instances.

        ``hub`` maps zone names to the shared zone rows (filled in here when missing); the
        instance's zone groups and VNet links then point at those, and it keeps no zone rows
        of its own (the caller adds ``hub.values()`` to the estate once).
        """
        for zone in self.zones:
            zone_id = rid(sub, rg, "Microsoft.Network/privateDnsZones", zone)
            hub.setdefault(zone, row(zone_id, "microsoft.network/privatednszones", "global", {}))
        for group in self.zone_groups.values():
            for cfg in group["properties"]["privateDnsZoneConfigs"]:
                zone = cfg["properties"]["privateDnsZoneId"].rsplit("/", 1)[-1]
                cfg["properties"]["privateDnsZoneId"] = hub[zone]["id"]
        for zone, link in self.links.items():
            link["id"] = f"{hub[zone]['id']}/virtualNetworkLinks/{self.prefix}-link"
            link["subscriptionId"], link["resourceGroup"] = sub, rg
        self.zones = {}

    def add_endpoint(self, key: str, target: Row, group: str) -> Row:
        """A private endpoint for ``target``'s ``group`` in the solution subnet, with its zone
        group, zones (the ZONES table) and links to the solution VNet, as ``blueprint()``
        makes them."""
        loc = self.vnet["location"]
        pe = _endpoint(
            self.sub, self.rg, f"{self.prefix}-pe-{key}", target, group, self.subnet_id, loc
        )
        zone_ids = []
        for zone in ZONES[group]:
            zid = rid(self.sub, self.rg, "Microsoft.Network/privateDnsZones", zone)
            zone_ids.append(zid)
            self.zones.setdefault(zone, row(zid, "microsoft.network/privatednszones", "global", {}))
            self.links.setdefault(
                zone,
                row(
                    f"{zid}/virtualNetworkLinks/{self.prefix}-link",
                    "microsoft.network/privatednszones/virtualnetworklinks",
                    "global",
                    {"virtualNetwork": {"id": self.vnet["id"]}, "registrationEnabled": False},
                ),
            )
        self.endpoints[key] = pe
        self.zone_groups[key] = _zone_group(pe, zone_ids)
        return pe

    def _all(self) -> list[Row]:
        return [self.workspace, self.storage, self.keyvault, self.registry, self.openai]


def _endpoint(
    inst_sub: str, rg: str, name: str, target: Row, group: str, subnet_id: str, location: str
) -> Row:
    pe_id = rid(inst_sub, rg, "Microsoft.Network/privateEndpoints", name)
    pe = row(
        pe_id,
        "microsoft.network/privateendpoints",
        location,
        {
            "provisioningState": "Succeeded",
            "privateLinkServiceConnections": [connection(target["id"], group, name=name)],
            "manualPrivateLinkServiceConnections": [],
            "subnet": {"id": subnet_id},
            "networkInterfaces": [
                {"id": rid(inst_sub, rg, "Microsoft.Network/networkInterfaces", f"{name}.nic")}
            ],
        },
    )
    target["properties"].setdefault("privateEndpointConnections", []).append(
        {
            "id": f"{target['id']}/privateEndpointConnections/{name}",
            "name": name,
            "type": target["type"] + "/privateendpointconnections",
            "properties": {
                "privateEndpoint": {"id": pe_id},
                "privateLinkServiceConnectionState": {
                    "status": "Approved",
                    "description": "Auto-approved",
                    "actionsRequired": "None",
                },
                "provisioningState": "Succeeded",
            },
        }
    )
    return pe


def _replace_strings(value: Any, old: str, new: str) -> Any:
    """Replace every string equal to ``old`` in nested dicts and lists, in place."""
    if isinstance(value, dict):
        for k, v in value.items():
            value[k] = new if v == old else _replace_strings(v, old, new)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            value[i] = new if v == old else _replace_strings(v, old, new)
    return value


def _zone_group(pe: Row, zone_ids: list[str]) -> Row:
    return row(
        f"{pe['id']}/privateDnsZoneGroups/default",
        "microsoft.network/privateendpoints/privatednszonegroups",
        pe["location"],
        {
            "provisioningState": "Succeeded",
            "privateDnsZoneConfigs": [
                {
                    "name": z.rsplit("/", 1)[-1].replace(".", "-"),
                    "properties": {"privateDnsZoneId": z},
                }
                for z in zone_ids
            ],
        },
    )


ZONES = {
    "amlworkspace": ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"],
    "blob": ["privatelink.blob.core.windows.net"],
    "file": ["privatelink.file.core.windows.net"],
    "vault": ["privatelink.vaultcore.azure.net"],
    "registry": ["privatelink.azurecr.io"],
    "account": ["privatelink.openai.azure.com"],
    "dfs": ["privatelink.dfs.core.windows.net"],
}


def blueprint(
    sub: str = "00000000-0000-0000-0000-000000000001",
    rg: str = "ml-secure-blueprint",
    prefix: str = "blueprint",
    location: str = "westeurope",
) -> Instance:
    """A fully compliant instance, as the seed article deploys it."""
    ident_id = rid(sub, rg, "Microsoft.ManagedIdentity/userAssignedIdentities", f"{prefix}-id")
    principal = _uuid(ident_id, "principal")
    identity = row(
        ident_id,
        "microsoft.managedidentity/userassignedidentities",
        location,
        {"principalId": principal, "clientId": _uuid(ident_id, "client"), "tenantId": TENANT},
    )
    store_name = prefix.replace("-", "")[:18] + "st"
    storage = row(
        rid(sub, rg, "Microsoft.Storage/storageAccounts", store_name),
        "microsoft.storage/storageaccounts",
        location,
        {"publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Deny"}},
        kind="StorageV2",
        sku={"name": "Standard_LRS", "tier": "Standard"},
    )
    keyvault = row(
        rid(sub, rg, "Microsoft.KeyVault/vaults", f"{prefix}-kv"),
        "microsoft.keyvault/vaults",
        location,
        {"publicNetworkAccess": "Disabled", "tenantId": TENANT, "sku": {"name": "standard"}},
    )
    registry = row(
        rid(sub, rg, "Microsoft.ContainerRegistry/registries", prefix.replace("-", "") + "acr"),
        "microsoft.containerregistry/registries",
        location,
        {"publicNetworkAccess": "Disabled", "adminUserEnabled": False},
        sku={"name": "Premium", "tier": "Premium"},
    )
    insights = row(
        rid(sub, rg, "Microsoft.Insights/components", f"{prefix}-appi"),
        "microsoft.insights/components",
        location,
        {"Application_Type": "web"},
        kind="web",
    )
    openai = row(
        rid(sub, rg, "Microsoft.CognitiveServices/accounts", f"{prefix}-oai"),
        "microsoft.cognitiveservices/accounts",
        location,
        {"publicNetworkAccess": "Disabled", "customSubDomainName": f"{prefix}-oai"},
        kind="OpenAI",
        sku={"name": "S0"},
    )
    vnet = row(
        rid(sub, rg, "Microsoft.Network/virtualNetworks", f"{prefix}-vnet"),
        "microsoft.network/virtualnetworks",
        location,
        {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [
                {"name": "snet-endpoints", "properties": {"addressPrefix": "10.0.1.0/24"}},
                {"name": "snet-jumphost", "properties": {"addressPrefix": "10.0.2.0/24"}},
                {"name": "AzureBastionSubnet", "properties": {"addressPrefix": "10.0.3.0/26"}},
            ],
        },
    )
    ws_id = rid(sub, rg, "Microsoft.MachineLearningServices/workspaces", f"{prefix}-mlw")
    workspace = row(
        ws_id,
        "microsoft.machinelearningservices/workspaces",
        location,
        {
            "friendlyName": f"{prefix}-mlw",
            "storageAccount": storage["id"],
            "keyVault": keyvault["id"],
            "containerRegistry": registry["id"],
            "applicationInsights": insights["id"],
            "publicNetworkAccess": "Disabled",
            "allowPublicAccessWhenBehindVnet": False,
            "imageBuildCompute": "cpu-compute",
            "primaryUserAssignedIdentity": ident_id,
            "provisioningState": "Succeeded",
            "managedNetwork": {
                "isolationMode": "AllowInternetOutbound",
                "status": {"status": "Active", "sparkReady": True},
                "outboundRules": {
                    "allowOpenAi": {
                        "type": "PrivateEndpoint",
                        "category": "UserDefined",
                        "status": "Active",
                        "destination": {
                            "serviceResourceId": openai["id"],
                            "subresourceTarget": "account",
                            "sparkEnabled": True,
                            "sparkStatus": "Active",
                        },
                    },
                    "__SYS_PE_storage_blob": {
                        "type": "PrivateEndpoint",
                        "category": "Required",
                        "status": "Active",
                        "destination": {
                            "serviceResourceId": storage["id"],
                            "subresourceTarget": "blob",
                            "sparkEnabled": True,
                            "sparkStatus": "Active",
                        },
                    },
                },
            },
        },
        kind="Default",
        sku={"name": "Basic", "tier": "Basic"},
        identity={
            "type": "UserAssigned",
            "userAssignedIdentities": {
                ident_id: {"principalId": principal, "clientId": _uuid(ident_id, "client")}
            },
        },
    )
    inst = Instance(
        sub, rg, prefix, workspace, identity, storage, keyvault, registry, insights, openai, vnet
    )
    subnet = inst.subnet_id
    zone_rows: dict[str, Row] = {}
    for key, target, group in [
        ("workspace", workspace, "amlworkspace"),
        ("storage-blob", storage, "blob"),
        ("storage-file", storage, "file"),
        ("keyvault", keyvault, "vault"),
        ("registry", registry, "registry"),
        ("openai", openai, "account"),
    ]:
        pe = _endpoint(sub, rg, f"{prefix}-pe-{key}", target, group, subnet, location)
        zone_ids = []
        for zone in ZONES[group]:
            zid = rid(sub, rg, "Microsoft.Network/privateDnsZones", zone)
            zone_ids.append(zid)
            zone_rows.setdefault(zone, row(zid, "microsoft.network/privatednszones", "global", {}))
        inst.endpoints[key] = pe
        inst.zone_groups[key] = _zone_group(pe, zone_ids)
    inst.zones = zone_rows
    for zone, zrow in zone_rows.items():
        link_id = f"{zrow['id']}/virtualNetworkLinks/{prefix}-link"
        inst.links[zone] = row(
            link_id,
            "microsoft.network/privatednszones/virtualnetworklinks",
            "global",
            {"virtualNetwork": {"id": vnet["id"]}, "registrationEnabled": False},
        )
    inst.nics.append(
        row(
            rid(sub, rg, "Microsoft.Network/networkInterfaces", f"{prefix}-jumphost-nic"),
            "microsoft.network/networkinterfaces",
            location,
            {
                "ipConfigurations": [
                    {
                        "name": "ipconfig1",
                        "properties": {
                            "privateIPAddress": "10.0.2.4",
                            "subnet": {"id": f"{vnet['id']}/subnets/snet-jumphost"},
                        },
                    }
                ]
            },
        )
    )
    inst.role_assignments.append(
        role_assignment(f"/subscriptions/{sub}/resourceGroups/{rg}", principal)
    )
    return inst


def role_assignment(scope: str, principal: str, role: str = APPROVER_ROLE) -> Row:
    """A role-assignment row as ``authorizationresources`` returns it."""
    name = _uuid(scope.lower(), role, principal)
    sub = scope.split("/")[2] if scope.startswith("/subscriptions/") else ""
    ra_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    return {
        "id": ra_id,
        "name": name,
        "type": "microsoft.authorization/roleassignments",
        "tenantId": TENANT,
        "subscriptionId": sub,
        "resourceGroup": scope.split("/")[4].lower() if scope.count("/") >= 4 else "",
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal,
            "principalType": "ServicePrincipal",
            "scope": scope,
        },
    }


def subscription(sub: str, chain: tuple[str, ...] | list[str] = (), tenant: str = TENANT) -> Row:
    """A subscription row as ``resourcecontainers`` returns it; ``chain`` names the management
    groups above it, nearest first (the tenant root group last, as Azure lists them)."""
    return {
        "id": f"/subscriptions/{sub}",
        "name": f"sub-{sub[:8]}",
        "type": "microsoft.resources/subscriptions",
        "tenantId": tenant,
        "subscriptionId": sub,
        "resourceGroup": "",
        "properties": {
            "state": "Enabled",
            "managementGroupAncestorsChain": [
                {"name": name, "displayName": name.title()} for name in [*chain, tenant]
            ],
        },
    }


def management_group_scope(name: str) -> str:
    """The scope id of a management group, as role assignments name it."""
    return f"/providers/Microsoft.Management/managementGroups/{name}"


def unrelated(sub: str, rg: str, count: int, prefix: str = "misc") -> list[Row]:
    """Resources no workspace uses (a public storage account among them): never judged."""
    out = []
    kinds = [
        ("Microsoft.Storage/storageAccounts", {"publicNetworkAccess": "Enabled"}),
        ("Microsoft.KeyVault/vaults", {"publicNetworkAccess": "Enabled"}),
        ("Microsoft.Web/sites", {"state": "Running"}),
        ("Microsoft.Compute/virtualMachines", {"vmId": "x"}),
        ("Microsoft.Network/publicIPAddresses", {"ipAddress": "20.1.2.3"}),
    ]
    for i in range(count):
        ptype, props = kinds[i % len(kinds)]
        name = f"{prefix}{i}".replace("-", "")
        out.append(row(rid(sub, rg, ptype, name), ptype.lower(), "westeurope", dict(props)))
    return out


# ---------------------------------------------------------------- Foundry hubs and projects


def project(
    hub: Instance,
    name: str,
    rg: str | None = None,
    sub: str | None = None,
    filled: bool = False,
    hub_id: str | None = None,
) -> Row:
    """A project workspace (kind Project) of ``hub``, as the RP returns it.

    ``filled`` echoes the hub's associated resources and managed network on the project (the
    shape real-estates 2a calls ``proj-filled``); by default the row is ``proj-min``: only the
    fields the SDK's project template sets, with a system-assigned identity.
    """
    sub = sub or hub.sub
    pid = rid(sub, rg or hub.rg, "Microsoft.MachineLearningServices/workspaces", name)
    hub_props = hub.workspace["properties"]
    props: dict[str, Any] = {
        "friendlyName": name,
        "hubResourceId": hub_id if hub_id is not None else hub.workspace["id"],
        "publicNetworkAccess": hub_props.get("publicNetworkAccess", "Disabled"),
        "enableDataIsolation": True,
        "provisioningState": "Succeeded",
    }
    if filled:
        for key in ("storageAccount", "keyVault", "containerRegistry", "applicationInsights"):
            if key in hub_props:
                props[key] = hub_props[key]
        props["managedNetwork"] = {
            "isolationMode": hub_props["managedNetwork"]["isolationMode"],
            "status": dict(hub_props["managedNetwork"]["status"]),
            "outboundRules": {},
        }
    return row(
        pid,
        "microsoft.machinelearningservices/workspaces",
        hub.workspace["location"],
        props,
        kind="Project",
        sku={"name": "Basic", "tier": "Basic"},
        identity={"type": "SystemAssigned", "principalId": _uuid(pid, "principal")},
    )


def foundry_hub(
    sub: str = "00000000-0000-0000-0000-000000000001",
    rg: str = "ai-foundry-hub",
    prefix: str = "foundry",
    location: str = "westeurope",
    project_rgs: tuple[str | None, ...] = (None, "ai-projects"),
) -> Instance:
    """A compliant Azure AI Foundry hub (kind Hub) with one project per ``project_rgs`` entry
    (None: the hub's resource group), the second one proj-filled."""
    hub = blueprint(sub, rg, prefix, location)
    hub.workspace["kind"] = "Hub"
    hub.workspace["properties"]["workspaceHubConfig"] = {
        "defaultWorkspaceResourceGroup": f"/subscriptions/{sub}/resourceGroups/{rg}"
    }
    for i, project_rg in enumerate(project_rgs):
        hub.projects.append(project(hub, f"{prefix}-proj{i + 1}", project_rg, filled=i % 2 == 1))
    return hub


# ---------------------------------------------------------------- customer-VNet workspaces


def compute(
    inst: Instance,
    name: str,
    compute_type: str = "AmlCompute",
    subnet: str | None = None,
    public_ip: bool = False,
) -> Row:
    """A compute of ``inst``'s workspace as the ARM list of ``.../computes`` returns it."""
    props: dict[str, Any] = {
        "subnet": {"id": subnet or inst.subnet_id},
        "enableNodePublicIp": public_ip,
    }
    if compute_type == "AmlCompute":
        props["remoteLoginPortPublicAccess"] = "Disabled"
    return row(
        f"{inst.workspace['id']}/computes/{name}",
        "microsoft.machinelearningservices/workspaces/computes",
        inst.workspace["location"],
        {
            "computeType": compute_type,
            "computeLocation": inst.workspace["location"],
            "provisioningState": "Succeeded",
            "disableLocalAuth": True,
            "properties": props,
        },
    )


def customer_vnet(inst: Instance, absent: bool = False) -> Instance:
    """Turn ``inst`` into a compliant customer-VNet workspace: no managed network (isolation
    Disabled, or no ``managedNetwork`` at all), a cluster and a compute instance in the solution
    subnet without public IPs, and serverless compute in that subnet without public IPs."""
    props = inst.workspace["properties"]
    if absent:
        props.pop("managedNetwork", None)
    else:
        props["managedNetwork"] = {"isolationMode": "Disabled", "outboundRules": {}}
    props["serverlessComputeSettings"] = {
        "serverlessComputeCustomSubnet": inst.subnet_id,
        "serverlessComputeNoPublicIP": True,
    }
    inst.extra += [compute(inst, "cpu-cluster"), compute(inst, "ci-dev", "ComputeInstance")]
    return inst


# ---------------------------------------------------------------- landing-zone DNS


RESOLVER_IP = "10.100.1.4"
FIREWALL_IP = "10.100.2.4"
DNS_DESIGNS = ("resolver", "ruleset", "firewall")


@dataclass
class Connectivity:
    """The rows of a connectivity (hub) subscription: hub VNet, central private DNS zones
    linked to it, an Azure DNS Private Resolver, a forwarding ruleset and a DNS-proxy firewall."""

    sub: str
    rg: str
    vnet: Row
    zones: dict[str, Row] = field(default_factory=dict)
    links: dict[str, Row] = field(default_factory=dict)
    network: list[Row] = field(default_factory=list)  # resolver, endpoint, firewall, policy
    ruleset: Row | None = None
    ruleset_links: list[Row] = field(default_factory=list)
    rules: dict[str, Row] = field(default_factory=dict)  # zone name -> forwarding rule

    def rows(self) -> list[Row]:
        out = [self.vnet, *self.zones.values(), *self.links.values(), *self.network]
        out += ([self.ruleset] if self.ruleset else []) + self.ruleset_links
        out += list(self.rules.values())
        return [copy.deepcopy(r) for r in out]


def connectivity(
    sub: str = "00000000-0000-0000-0000-0000000000cc",
    rg: str = "rg-connectivity",
    location: str = "westeurope",
) -> Connectivity:
    """A hub with a resolver inbound endpoint at RESOLVER_IP and a firewall (DNS proxy) at
    FIREWALL_IP; zones are added as spokes move theirs here (:func:`landing_zone`)."""
    vnet_id = rid(sub, rg, "Microsoft.Network/virtualNetworks", "vnet-hub")
    vnet = row(
        vnet_id,
        "microsoft.network/virtualnetworks",
        location,
        {"addressSpace": {"addressPrefixes": ["10.100.0.0/16"]}, "virtualNetworkPeerings": []},
    )
    resolver_id = rid(sub, rg, "Microsoft.Network/dnsResolvers", "dnspr-hub")
    policy_id = rid(sub, rg, "Microsoft.Network/firewallPolicies", "afwp-hub")
    network = [
        row(resolver_id, "microsoft.network/dnsresolvers", location,
            {"virtualNetwork": {"id": vnet_id}, "dnsResolverState": "Connected"}),
        row(f"{resolver_id}/inboundEndpoints/in-hub",
            "microsoft.network/dnsresolvers/inboundendpoints", location,
            {"ipConfigurations": [{"privateIpAddress": RESOLVER_IP,
                                   "privateIpAllocationMethod": "Static",
                                   "subnet": {"id": f"{vnet_id}/subnets/snet-dns-in"}}],
             "provisioningState": "Succeeded"}),
        row(policy_id, "microsoft.network/firewallpolicies", location,
            {"dnsSettings": {"enableProxy": True, "servers": []}}),
        row(rid(sub, rg, "Microsoft.Network/azureFirewalls", "afw-hub"),
            "microsoft.network/azurefirewalls", location,
            {"firewallPolicy": {"id": policy_id},
             "ipConfigurations": [{"name": "ipconfig", "properties": {
                 "privateIPAddress": FIREWALL_IP,
                 "subnet": {"id": f"{vnet_id}/subnets/AzureFirewallSubnet"}}}]}),
    ]  # fmt: skip
    ruleset_id = rid(sub, rg, "Microsoft.Network/dnsForwardingRulesets", "dnsfrs-spokes")
    ruleset = row(
        ruleset_id,
        "microsoft.network/dnsforwardingrulesets",
        location,
        {"dnsResolverOutboundEndpoints": [{"id": f"{resolver_id}/outboundEndpoints/out-hub"}]},
    )
    return Connectivity(sub, rg, vnet, network=network, ruleset=ruleset)


def landing_zone(inst: Instance, hub: Connectivity, design: str = "resolver") -> Instance:
    """Move ``inst``'s private DNS zones to ``hub`` (linked to the hub VNet only) and make its
    VNet resolve them the way ``design`` says: ``resolver`` (custom DNS = the resolver's inbound
    endpoint), ``firewall`` (custom DNS = the firewall's DNS proxy) or ``ruleset`` (Azure DNS
    plus a forwarding ruleset link, one rule per zone to the inbound endpoint). The spoke is
    peered (Connected) to the hub."""
    if design not in DNS_DESIGNS:
        raise ValueError(f"design {design!r} is not one of {DNS_DESIGNS}")
    names = list(inst.zones)
    inst.use_hub_zones(hub.zones, hub.sub, hub.rg)
    for name in names:
        zone_id = hub.zones[name]["id"]
        hub.links.setdefault(
            name,
            row(f"{zone_id}/virtualNetworkLinks/vnet-hub-link",
                "microsoft.network/privatednszones/virtualnetworklinks", "global",
                {"virtualNetwork": {"id": hub.vnet["id"]}, "registrationEnabled": False}),
        )  # fmt: skip
    inst.links = {}  # the spoke's VNet links no zone: the hub resolves them
    props = inst.vnet["properties"]
    props["virtualNetworkPeerings"] = [
        {"name": "to-hub", "properties": {
            "remoteVirtualNetwork": {"id": hub.vnet["id"]}, "peeringState": "Connected",
            "allowForwardedTraffic": True}},
    ]  # fmt: skip
    hub.vnet["properties"]["virtualNetworkPeerings"].append(
        {"name": f"to-{inst.prefix}", "properties": {
            "remoteVirtualNetwork": {"id": inst.vnet["id"]}, "peeringState": "Connected"}}
    )  # fmt: skip
    if design == "resolver":
        props["dhcpOptions"] = {"dnsServers": [RESOLVER_IP]}
    elif design == "firewall":
        props["dhcpOptions"] = {"dnsServers": [FIREWALL_IP]}
    else:
        assert hub.ruleset is not None
        hub.ruleset_links.append(
            row(f"{hub.ruleset['id']}/virtualNetworkLinks/{inst.prefix}-link",
                "microsoft.network/dnsforwardingrulesets/virtualnetworklinks", "",
                {"virtualNetwork": {"id": inst.vnet["id"]}})
        )  # fmt: skip
        for name in names:
            hub.rules.setdefault(
                name,
                row(f"{hub.ruleset['id']}/forwardingRules/{name.replace('.', '-')}",
                    "microsoft.network/dnsforwardingrulesets/forwardingrules", "",
                    {"domainName": name + ".", "forwardingRuleState": "Enabled",
                     "targetDnsServers": [{"ipAddress": RESOLVER_IP, "port": 53}]}),
            )  # fmt: skip
    return inst


def role_definition(
    guid: str,
    actions: list[str],
    not_actions: tuple[str, ...] = (),
    sub: str | None = None,
    name: str = "custom approver",
) -> Row:
    """A role definition row as ``authorizationresources`` returns it (custom at ``sub``,
    built-in without it)."""
    scope = f"/subscriptions/{sub}" if sub else ""
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "name": guid,
        "type": "microsoft.authorization/roledefinitions",
        "tenantId": TENANT,
        "subscriptionId": sub or "",
        "resourceGroup": "",
        "properties": {
            "roleName": name,
            "type": "CustomRole" if sub else "BuiltInRole",
            "permissions": [
                {"actions": actions, "notActions": list(not_actions), "dataActions": []}
            ],
            "assignableScopes": [scope or "/"],
        },
    }
