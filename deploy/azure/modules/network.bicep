// The VNet of the cluster: a subnet for the AKS nodes (Azure CNI overlay
// keeps pod IPs out of it), one for private endpoints (storage, Event Hubs)
// and one the query nodes' Private Link Service takes its NAT IPs from.

@description('Name of the virtual network.')
param name string

@description('Region of the virtual network.')
param location string

@description('Tags of every resource.')
param tags object = {}

@description('Address space of the VNet.')
param addressPrefix string

@description('Subnet of the AKS nodes (and of the internal load balancer frontend).')
param nodeSubnetPrefix string

@description('Subnet of the Private Link Service NAT IPs. networkPolicy.pgwire.allowedCIDRs of the chart must contain it.')
param plsSubnetPrefix string

@description('Subnet of the private endpoints to storage and Event Hubs.')
param privateEndpointSubnetPrefix string

var nodeSubnetName = 'nodes'
var plsSubnetName = 'pls-nat'
var privateEndpointSubnetName = 'private-endpoints'

// Subnet-level NSG of the nodes. It only keeps Azure's default rules
// (VNet and Azure Load Balancer in, everything else from outside denied), so
// a Service of type LoadBalancer that somebody makes public is still not
// reachable from the internet. AKS manages its own NIC-level rules as usual.
resource nodesNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${name}-nodes-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

// NSG of the private endpoints (applied to them because the subnet sets
// privateEndpointNetworkPolicies Enabled): HTTPS (Blob, Event Hubs), AMQP and
// the Kafka endpoint from inside the VNet; nothing else.
resource privateEndpointsNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${name}-pe-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'allow-vnet-https-amqp-kafka'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'VirtualNetwork'
          sourcePortRange: '*'
          destinationAddressPrefix: privateEndpointSubnetPrefix
          destinationPortRanges: [
            '443'
            '5671'
            '9093'
          ]
        }
      }
      {
        name: 'deny-all-other-inbound'
        properties: {
          priority: 4096
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: '*'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

// Subnets are declared inline: as separate child resources a redeployment of
// the VNet would try to remove them.
resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: nodeSubnetName
        properties: {
          addressPrefix: nodeSubnetPrefix
          networkSecurityGroup: {
            id: nodesNsg.id
          }
        }
      }
      {
        name: plsSubnetName
        properties: {
          addressPrefix: plsSubnetPrefix
          // A Private Link Service cannot take NAT IPs from a subnet with
          // network policies on.
          privateLinkServiceNetworkPolicies: 'Disabled'
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Enabled'
          networkSecurityGroup: {
            id: privateEndpointsNsg.id
          }
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output vnetName string = vnet.name
output nodeSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, nodeSubnetName)
output plsSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, plsSubnetName)
output plsSubnetName string = plsSubnetName
output plsSubnetPrefix string = plsSubnetPrefix
output privateEndpointSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, privateEndpointSubnetName)
