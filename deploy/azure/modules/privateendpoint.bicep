// A private endpoint to one sub-resource (groupId) of a PaaS resource, with
// the privatelink DNS zone linked to the endpoint's VNet and a zone group
// that keeps the zone's A record in step with the endpoint's IP.

@description('Name of the private endpoint.')
param name string

@description('Region of the private endpoint (the VNet\'s).')
param location string

@description('Tags of every resource.')
param tags object = {}

@description('Resource id of the subnet the endpoint takes its IP from.')
param subnetId string

@description('Resource id of the target: a storage account, an Event Hubs namespace, ...')
param targetResourceId string

@description('Sub-resource of the target: blob for storage, namespace for Event Hubs.')
param groupId string

@description('The privatelink DNS zone of that sub-resource, e.g. privatelink.blob.core.windows.net.')
param privateDnsZoneName string

@description('Request the connection instead of creating it approved: needed when the deployer has no rights on the target (another tenant); its owner approves it.')
param manualApproval bool = false

@description('Message shown to the owner of the target with a manual request (140 characters at most).')
@maxLength(140)
param requestMessage string = ''

// The VNet of the subnet: the id up to "/subnets/".
var vnetId = substring(subnetId, 0, lastIndexOf(subnetId, '/subnets/'))

var connection = {
  name: name
  properties: {
    privateLinkServiceId: targetResourceId
    groupIds: [
      groupId
    ]
    requestMessage: manualApproval ? requestMessage : null
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    customNetworkInterfaceName: '${name}-nic'
    privateLinkServiceConnections: manualApproval ? [] : [
      connection
    ]
    manualPrivateLinkServiceConnections: manualApproval ? [
      connection
    ] : []
  }
}

resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: privateDnsZoneName
  location: 'global'
  tags: tags
}

resource zoneLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: zone
  name: '${last(split(vnetId, '/'))}-link'
  location: 'global'
  tags: tags
  properties: {
    virtualNetwork: {
      id: vnetId
    }
    registrationEnabled: false
    // Names of this kind (e.g. other storage accounts) that have no record
    // in the zone fall back to public DNS instead of NXDOMAIN.
    resolutionPolicy: 'NxDomainRedirect'
  }
}

resource zoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: replace(privateDnsZoneName, '.', '-')
        properties: {
          privateDnsZoneId: zone.id
        }
      }
    ]
  }
}

output id string = endpoint.id
output name string = endpoint.name
output privateDnsZoneId string = zone.id
