param location string = resourceGroup().location

var computeSubnet = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'snet-compute')

resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' = {
  name: 'bp-vnet'
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: ['10.0.0.0/16']
    }
    subnets: [
      {
        name: 'snet-endpoints'
        properties: { addressPrefix: '10.0.1.0/24' }
      }
      {
        name: 'snet-compute'
        properties: { addressPrefix: '10.0.2.0/24' }
      }
    ]
  }
}

resource ws 'Microsoft.MachineLearningServices/workspaces@2024-10-01' = {
  name: 'bp-mlw'
  location: location
  tags: {
    'amlguard-network-isolation': 'custom'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publicNetworkAccess: 'Disabled'
    managedNetwork: {
      isolationMode: 'Disabled'
    }
    serverlessComputeSettings: {
      serverlessComputeCustomSubnet: computeSubnet
      serverlessComputeNoPublicIP: true
    }
  }
}

resource compute 'Microsoft.MachineLearningServices/workspaces/computes@2024-10-01' = {
  parent: ws
  name: 'cpu-cluster'
  location: location
  properties: {
    computeType: 'AmlCompute'
    properties: {
      vmSize: 'STANDARD_DS11_V2'
      enableNodePublicIp: false
      remoteLoginPortPublicAccess: 'Disabled'
      subnet: {
        id: computeSubnet
      }
    }
  }
}

resource pe 'Microsoft.Network/privateEndpoints@2023-09-01' = {
  name: 'bp-pe-mlw'
  location: location
  properties: {
    subnet: {
      id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'snet-endpoints')
    }
    privateLinkServiceConnections: [
      {
        name: 'mlw'
        properties: {
          privateLinkServiceId: ws.id
          groupIds: ['amlworkspace']
        }
      }
    ]
  }
}
