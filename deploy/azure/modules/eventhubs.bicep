// The Event Hubs namespace the write events go through, over its Kafka
// endpoint (port 9093), and the event hub (= Kafka topic) lancegate writes to.
// Kafka needs the Standard tier or above: Basic has no Kafka endpoint.

@description('Name of the namespace (6-50 letters, digits and hyphens, globally unique).')
@minLength(6)
@maxLength(50)
param name string

@description('Region of the namespace.')
param location string

@description('Tags of every resource.')
param tags object = {}

@description('Tier of the namespace: Standard or Premium (both have the Kafka endpoint).')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Throughput units (Standard) or processing units (Premium).')
@minValue(1)
param capacity int = 1

@description('Highest throughput units auto-inflate may reach (Standard only; 0: auto-inflate off).')
@minValue(0)
@maxValue(40)
param maximumThroughputUnits int = 4

@description('Name of the event hub (the Kafka topic of events.topic).')
param eventHubName string = 'lancegate-writes'

@description('Partitions of the event hub (at most 32 on Standard).')
@minValue(1)
param partitionCount int = 12

@description('Days events are kept (1-7 on Standard, up to 90 on Premium).')
@minValue(1)
param retentionDays int = 3

@description('Refuse SAS keys and connection strings (Entra ID tokens only). False only where a connection string is used (the byoc profile).')
param disableLocalAuth bool = true

@description('Subnet of the private endpoint to the namespace (empty: no private endpoint here).')
param privateEndpointSubnetId string = ''

@description('The privatelink DNS zone of Event Hubs (privatelink.servicebus.windows.net in Azure public cloud).')
param privateDnsZoneName string = 'privatelink.servicebus.windows.net'

var autoInflate = skuName == 'Standard' && maximumThroughputUnits > 0

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: capacity
  }
  properties: {
    kafkaEnabled: true
    disableLocalAuth: disableLocalAuth
    publicNetworkAccess: 'Disabled'
    minimumTlsVersion: '1.2'
    isAutoInflateEnabled: autoInflate
    maximumThroughputUnits: autoInflate ? maximumThroughputUnits : 0
  }
}

resource eventHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: eventHubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: retentionDays
  }
}

// Only with local auth (byoc): a namespace rule with just Send and Listen, so
// the connection string in the chart's Secret cannot manage the namespace.
// Its keys are never outputs; read them with az eventhubs namespace
// authorization-rule keys list (see README.md).
resource sendListen 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = if (!disableLocalAuth) {
  parent: namespace
  name: 'lancegate'
  properties: {
    rights: [
      'Listen'
      'Send'
    ]
  }
}

module namespaceEndpoint 'privateendpoint.bicep' = if (!empty(privateEndpointSubnetId)) {
  name: '${name}-pe'
  params: {
    name: '${name}-pe'
    location: location
    tags: tags
    subnetId: privateEndpointSubnetId
    targetResourceId: namespace.id
    groupId: 'namespace'
    privateDnsZoneName: privateDnsZoneName
  }
}

output id string = namespace.id
output name string = namespace.name
// serviceBusEndpoint is https://<name>.servicebus.windows.net:443/ (another
// suffix in sovereign clouds): keep the host.
output fqdn string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]
output eventHubName string = eventHub.name
output authorizationRuleName string = disableLocalAuth ? '' : 'lancegate'
