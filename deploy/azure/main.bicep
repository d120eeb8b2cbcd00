// lancegate on Azure: the infrastructure the Helm chart in deploy/helm/lancegate
// expects, for one of three deployment models.
//
//   managed  everything in the vendor's subscription: AKS, storage, Event Hubs
//            (workload identity), customers come in through the Private Link
//            Service of the query nodes.
//   byoc     the same resources, deployed by the customer in their own
//            subscription; Event Hubs keeps local auth for the byoc profile's
//            connection-string Secret.
//   hybrid   compute in the vendor's subscription (AKS, VNet; Kafka runs in
//            the cluster, so no Event Hubs), data in a storage account of the
//            customer's subscription and tenant (customer.bicep), reached
//            through a private endpoint the customer approves, as a
//            cross-tenant identity (a multi-tenant app registration, or a
//            managed identity of the customer's; see README.md).
//
// The outputs are what `helm install` needs; helmValues is a values file.

targetScope = 'resourceGroup'

// ---------------------------------------------------------------- general

@description('Deployment model: managed, byoc or hybrid.')
@allowed([
  'managed'
  'byoc'
  'hybrid'
])
param model string

@description('Region of every resource.')
param location string = resourceGroup().location

@description('Prefix of resource names: lowercase letters, digits and hyphens, starting with a letter.')
@minLength(3)
@maxLength(16)
param namePrefix string

@description('Tags of every resource.')
param tags object = {}

@description('Kubernetes namespace of the Helm release.')
param kubernetesNamespace string = 'lancegate'

@description('Service accounts that act as the workload identity: the chart\'s names for release "lancegate" (<fullname> and <fullname>-agent).')
param serviceAccountNames array = [
  'lancegate'
  'lancegate-agent'
]

// ---------------------------------------------------------------- AKS

@description('Kubernetes version (empty: the region\'s default).')
param kubernetesVersion string = ''

@description('AKS pricing tier.')
@allowed([
  'Free'
  'Standard'
  'Premium'
])
param aksTier string = 'Standard'

@description('Private API server.')
param privateCluster bool = false

@description('Users or groups (object ids) made Azure Kubernetes Service RBAC Cluster Admin (local accounts are off).')
param clusterAdminPrincipalIds array = []

@description('Availability zones of the node pools ([] in regions without zones).')
param availabilityZones array = [
  '1'
  '2'
  '3'
]

@description('Network policy engine.')
@allowed([
  'cilium'
  'azure'
])
param networkPolicy string = 'cilium'

@description('VM size of the system pool (query nodes, agent and jobs run there too).')
param systemPoolVmSize string = 'Standard_D4ds_v5'

@minValue(1)
param systemPoolMinCount int = 3

@minValue(1)
param systemPoolMaxCount int = 6

@description('VM size of the executor pool: L-series, local NVMe.')
param executorPoolVmSize string = 'Standard_L8s_v3'

@minValue(0)
param executorPoolMinCount int = 3

@minValue(1)
param executorPoolMaxCount int = 12

@description('Taint the executor pool lancegate.io/pool=nvme:NoSchedule (the chart\'s tolerations must then tolerate it; helmValues does).')
param executorPoolTaint bool = false

// ---------------------------------------------------------------- network

param vnetAddressPrefix string = '10.240.0.0/16'
param nodeSubnetPrefix string = '10.240.0.0/20'

@description('NAT IPs of the Private Link Service (the managed profile allows pgwire from 10.240.16.0/24).')
param plsSubnetPrefix string = '10.240.16.0/24'

param privateEndpointSubnetPrefix string = '10.240.17.0/24'

@description('Overlay pod CIDR.')
param podCidr string = '10.244.0.0/16'

param serviceCidr string = '10.0.0.0/16'
param dnsServiceIP string = '10.0.0.10'

// ---------------------------------------------------------------- storage (managed, byoc)

@description('Name of the storage account (empty: derived from namePrefix and the resource group).')
@maxLength(24)
param storageAccountName string = ''

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSku string = 'Standard_ZRS'

@description('Container of the storage root.')
param containerName string = 'lancegate'

@description('Prefix of the storage root inside the container: az://<container>/<prefix> (empty: the container\'s root).')
param storagePrefix string = 'warehouse'

@description('Days deleted blobs and containers stay recoverable (0: off).')
@minValue(0)
@maxValue(365)
param blobSoftDeleteDays int = 7

@description('Blob versioning (off: Lance datasets are versioned already).')
param blobVersioning bool = false

// ---------------------------------------------------------------- Event Hubs (managed, byoc)

@description('Event Hubs tier; both have the Kafka endpoint (Basic has not).')
@allowed([
  'Standard'
  'Premium'
])
param eventHubsSku string = 'Standard'

@minValue(1)
param eventHubsCapacity int = 1

@description('Event hub of the write events (events.topic).')
param eventHubName string = 'lancegate-writes'

@minValue(1)
param eventHubPartitions int = 12

@minValue(1)
param eventHubRetentionDays int = 3

param eventHubsPrivateDnsZoneName string = 'privatelink.servicebus.windows.net'

// ---------------------------------------------------------------- hybrid

@description('hybrid: resource id of the customer\'s storage account (output storageAccountId of customer.bicep). Empty: no private endpoint yet.')
param hybridCustomerStorageAccountId string = ''

@description('hybrid: the container of the storage root in the customer\'s account.')
param hybridCustomerContainerName string = 'lancegate'

@description('hybrid: client id the pods act as: the vendor\'s multi-tenant app registration, or the managed identity customer.bicep made.')
param hybridClientId string = ''

@description('hybrid: the customer\'s Entra tenant id (the pods request their tokens there).')
param hybridCustomerTenantId string = ''

// ---------------------------------------------------------------- derived

var deployStorage = model != 'hybrid'
var deployEventHubs = model != 'hybrid'
// hybrid pods act as an identity of the customer's tenant, not one made here.
var deployIdentity = model != 'hybrid'
// byoc: the profile reads Event Hubs with a connection string.
var eventHubsLocalAuth = model == 'byoc'
var deployHybridEndpoint = model == 'hybrid' && !empty(hybridCustomerStorageAccountId)

var suffix = uniqueString(resourceGroup().id)
var accountName = empty(storageAccountName) ? take('${toLower(replace(namePrefix, '-', ''))}${suffix}', 24) : storageAccountName
var hybridAccountName = empty(hybridCustomerStorageAccountId) ? '' : last(split(hybridCustomerStorageAccountId, '/'))
var rootContainer = model == 'hybrid' ? hybridCustomerContainerName : containerName
var storageRoot = empty(storagePrefix) ? 'az://${rootContainer}' : 'az://${rootContainer}/${storagePrefix}'
var executorPoolLabel = 'lancegate.io/pool'

// ---------------------------------------------------------------- resources

module network 'modules/network.bicep' = {
  name: '${namePrefix}-network'
  params: {
    name: '${namePrefix}-vnet'
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    nodeSubnetPrefix: nodeSubnetPrefix
    plsSubnetPrefix: plsSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
  }
}

module aks 'modules/aks.bicep' = {
  name: '${namePrefix}-aks'
  params: {
    name: '${namePrefix}-aks'
    location: location
    tags: tags
    kubernetesVersion: kubernetesVersion
    tier: aksTier
    privateCluster: privateCluster
    clusterAdminPrincipalIds: clusterAdminPrincipalIds
    availabilityZones: availabilityZones
    networkPolicy: networkPolicy
    vnetName: network.outputs.vnetName
    nodeSubnetId: network.outputs.nodeSubnetId
    podCidr: podCidr
    serviceCidr: serviceCidr
    dnsServiceIP: dnsServiceIP
    systemPoolVmSize: systemPoolVmSize
    systemPoolMinCount: systemPoolMinCount
    systemPoolMaxCount: systemPoolMaxCount
    executorPoolVmSize: executorPoolVmSize
    executorPoolMinCount: executorPoolMinCount
    executorPoolMaxCount: executorPoolMaxCount
    executorPoolTaint: executorPoolTaint
  }
}

module storage 'modules/storage.bicep' = if (deployStorage) {
  name: '${namePrefix}-storage'
  params: {
    name: accountName
    location: location
    tags: tags
    skuName: storageSku
    containerName: containerName
    softDeleteDays: blobSoftDeleteDays
    versioning: blobVersioning
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
  }
}

module eventHubs 'modules/eventhubs.bicep' = if (deployEventHubs) {
  name: '${namePrefix}-eventhubs'
  params: {
    name: '${namePrefix}-${suffix}'
    location: location
    tags: tags
    skuName: eventHubsSku
    capacity: eventHubsCapacity
    eventHubName: eventHubName
    partitionCount: eventHubPartitions
    retentionDays: eventHubRetentionDays
    disableLocalAuth: !eventHubsLocalAuth
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    privateDnsZoneName: eventHubsPrivateDnsZoneName
  }
}

module identity 'modules/identity.bicep' = if (deployIdentity) {
  name: '${namePrefix}-identity'
  params: {
    name: '${namePrefix}-workload'
    location: location
    tags: tags
    oidcIssuerUrl: aks.outputs.oidcIssuerUrl
    kubernetesNamespace: kubernetesNamespace
    serviceAccountNames: serviceAccountNames
  }
}

module roles 'modules/roles.bicep' = if (deployIdentity && deployStorage && deployEventHubs) {
  name: '${namePrefix}-roles'
  params: {
    principalId: identity!.outputs.principalId
    storageAccountName: storage!.outputs.name
    eventHubsNamespaceName: eventHubs!.outputs.name
  }
}

// hybrid: a private endpoint in our VNet to the customer's blob service. We
// have no rights on their account, so it is a manual request: the customer
// approves it (README.md), after which the account's name resolves to this
// endpoint's IP in our VNet.
module hybridBlobEndpoint 'modules/privateendpoint.bicep' = if (deployHybridEndpoint) {
  name: '${namePrefix}-customer-blob-pe'
  params: {
    name: '${namePrefix}-customer-blob-pe'
    location: location
    tags: tags
    subnetId: network.outputs.privateEndpointSubnetId
    targetResourceId: hybridCustomerStorageAccountId
    groupId: 'blob'
    privateDnsZoneName: 'privatelink.blob.${environment().suffixes.storage}'
    manualApproval: true
    requestMessage: 'lancegate (${namePrefix}) reads and writes the lancegate container of this account.'
  }
}

// ---------------------------------------------------------------- outputs

var clientId = deployIdentity ? identity!.outputs.clientId : hybridClientId
var tenantId = model == 'hybrid' ? hybridCustomerTenantId : tenant().tenantId
var storageAccount = deployStorage ? storage!.outputs.name : hybridAccountName
var eventHubsFqdn = deployEventHubs ? eventHubs!.outputs.fqdn : ''

// helmValues, piece by piece (merged with union below).
var helmBase = {
  storage: storageRoot
  storageOptions: {
    azure_storage_account_name: storageAccount
  }
  workloadIdentity: {
    enabled: true
    clientId: clientId
    tenantId: tenantId
  }
  executorNodeSelector: {
    '${executorPoolLabel}': 'nvme'
  }
}
// byoc has no Private Link Service (its clients share the VNet).
var helmPrivateLink = model == 'byoc' ? {} : {
  query: {
    service: {
      privateLink: {
        ipConfigurationSubnet: network.outputs.plsSubnetName
      }
    }
  }
  networkPolicy: {
    pgwire: {
      allowedCIDRs: [
        plsSubnetPrefix
      ]
    }
  }
}
// byoc's profile sets events.eventhubs.connectionStringSecret, which the
// chart prefers over the namespace.
var helmEvents = deployEventHubs ? {
  events: {
    type: 'eventhubs'
    topic: eventHubName
    eventhubs: {
      namespace: eventHubsFqdn
    }
  }
} : {}
var helmTolerations = executorPoolTaint ? {
  tolerations: [
    {
      key: executorPoolLabel
      operator: 'Equal'
      value: 'nvme'
      effect: 'NoSchedule'
    }
  ]
} : {}

@description('The model deployed.')
output model string = model

@description('AKS cluster name: az aks get-credentials -g <rg> -n <aksName>.')
output aksName string = aks.outputs.name

@description('The cluster\'s node resource group (the Private Link Service is created there).')
output aksNodeResourceGroup string = aks.outputs.nodeResourceGroup

@description('OIDC issuer URL of the cluster: the issuer of every federated credential.')
output oidcIssuerUrl string = aks.outputs.oidcIssuerUrl

@description('workloadIdentity.clientId')
output workloadIdentityClientId string = clientId

@description('workloadIdentity.tenantId')
output workloadIdentityTenantId string = tenantId

@description('storageOptions.azure_storage_account_name')
output storageAccountName string = storageAccount

@description('storage')
output storageRoot string = storageRoot

@description('events.eventhubs.namespace (empty without Event Hubs).')
output eventHubsNamespaceFqdn string = eventHubsFqdn

@description('events.topic (empty without Event Hubs).')
output eventHubName string = deployEventHubs ? eventHubs!.outputs.eventHubName : ''

@description('byoc: the Send/Listen rule whose connection string goes into the chart\'s Secret.')
output eventHubsAuthorizationRule string = deployEventHubs ? eventHubs!.outputs.authorizationRuleName : ''

@description('Event Hubs namespace name (for az eventhubs commands).')
output eventHubsNamespaceName string = deployEventHubs ? eventHubs!.outputs.name : ''

@description('query.service.privateLink.ipConfigurationSubnet (a subnet name of the cluster\'s VNet).')
output plsSubnetName string = network.outputs.plsSubnetName

@description('Resource id of the PLS NAT subnet.')
output plsSubnetId string = network.outputs.plsSubnetId

@description('networkPolicy.pgwire.allowedCIDRs: the PLS NAT subnet.')
output plsSubnetPrefix string = network.outputs.plsSubnetPrefix

@description('hybrid: the private endpoint the customer approves.')
output hybridPrivateEndpointId string = deployHybridEndpoint ? hybridBlobEndpoint!.outputs.id : ''

@description('Chart values of this deployment, to pass to helm after the profile: -f profiles/<model>.yaml -f <this as JSON>.')
output helmValues object = union(helmBase, helmPrivateLink, helmEvents, helmTolerations)
