// Hub-and-spoke: the spoke asks the hub's DNS Private Resolver; both peering legs inline.
param location string = 'westeurope'

resource hub 'Microsoft.Network/virtualNetworks@2023-09-01' = {
  name: 'vnet-hub'
  location: location
  properties: {
    addressSpace: { addressPrefixes: ['10.100.0.0/16'] }
    subnets: [{ name: 'snet-dns-in', properties: { addressPrefix: '10.100.1.0/24' } }]
    virtualNetworkPeerings: [
      {
        name: 'to-spoke'
        properties: {
          remoteVirtualNetwork: { id: resourceId('Microsoft.Network/virtualNetworks', 'vnet-spoke') }
          allowVirtualNetworkAccess: true
        }
      }
    ]
  }
}

resource spoke 'Microsoft.Network/virtualNetworks@2023-09-01' = {
  name: 'vnet-spoke'
  location: location
  properties: {
    addressSpace: { addressPrefixes: ['10.1.0.0/16'] }
    dhcpOptions: { dnsServers: ['10.100.1.4'] }
    subnets: [{ name: 'snet-pe', properties: { addressPrefix: '10.1.1.0/24' } }]
    virtualNetworkPeerings: [
      {
        name: 'to-hub'
        properties: {
          remoteVirtualNetwork: { id: hub.id }
          allowVirtualNetworkAccess: true
        }
      }
    ]
  }
}

resource resolver 'Microsoft.Network/dnsResolvers@2022-07-01' = {
  name: 'dnspr-hub'
  location: location
  properties: { virtualNetwork: { id: hub.id } }
}

resource inbound 'Microsoft.Network/dnsResolvers/inboundEndpoints@2022-07-01' = {
  parent: resolver
  name: 'in-hub'
  location: location
  properties: {
    ipConfigurations: [
      {
        privateIpAddress: '10.100.1.4'
        privateIpAllocationMethod: 'Static'
        subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-hub', 'snet-dns-in') }
      }
    ]
  }
}

var zoneNames = ['privatelink.api.azureml.ms', 'privatelink.notebooks.azure.net']

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [for zone in zoneNames: {
  name: zone
  location: 'global'
}]

resource apiLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  name: 'privatelink.api.azureml.ms/hub-link'
  location: 'global'
  dependsOn: [zones]
  properties: {
    registrationEnabled: false
    virtualNetwork: { id: hub.id }
  }
}

resource nbLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  name: 'privatelink.notebooks.azure.net/hub-link'
  location: 'global'
  dependsOn: [zones]
  properties: {
    registrationEnabled: false
    virtualNetwork: { id: hub.id }
  }
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' = {
  name: 'spoke-mlw'
  location: location
  identity: { type: 'SystemAssigned' }
  properties: {
    publicNetworkAccess: 'Disabled'
    managedNetwork: { isolationMode: 'AllowInternetOutbound' }
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2023-09-01' = {
  name: 'pe-mlw'
  location: location
  properties: {
    subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-spoke', 'snet-pe') }
    privateLinkServiceConnections: [
      {
        name: 'mlw'
        properties: { privateLinkServiceId: workspace.id, groupIds: ['amlworkspace'] }
      }
    ]
  }
}

resource zoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-09-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [for (zone, i) in zoneNames: {
      name: 'z${i}'
      properties: { privateDnsZoneId: zones[i].id }
    }]
  }
}
