// Hybrid model, the customer's side: deployed by the customer in their own
// subscription and tenant. It makes the storage account that holds the Lance
// datasets (hardened as in the other models: Entra ID only, no public
// network access), its container, and lets the vendor's workload in: the
// Storage Blob Data Contributor role on that container only, for
//   * the service principal of the vendor's multi-tenant app registration in
//     this tenant (vendorPrincipalObjectId; `az ad sp create --id <app id>`
//     makes it), and/or
//   * a managed identity made here whose federated credentials trust the
//     vendor cluster's OIDC issuer (vendorOidcIssuerUrl), the cross-tenant
//     pattern of the AKS documentation; its client id then goes to the vendor.
//
// Network: the vendor's main.bicep requests a private endpoint to this
// account's blob service from the vendor VNet. It stays Pending until you
// approve it (README.md, "Approve the private endpoint"):
//   az network private-endpoint-connection list --id <storageAccountId>
//   az network private-endpoint-connection approve --id <connection id> \
//     --description "lancegate vendor endpoint"
// Approve only the connection whose private endpoint id is the one the vendor
// sent you (their output hybridPrivateEndpointId).

targetScope = 'resourceGroup'

@description('Region of the storage account.')
param location string = resourceGroup().location

@description('Tags of every resource.')
param tags object = {}

@description('Name of the storage account (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param storageAccountName string

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSku string = 'Standard_ZRS'

@description('Container of the storage root; lancegate gets access to it alone.')
param containerName string = 'lancegate'

@description('Days deleted blobs and containers stay recoverable (0: off).')
@minValue(0)
@maxValue(365)
param blobSoftDeleteDays int = 7

@description('Blob versioning.')
param blobVersioning bool = false

@description('Subnet of a private endpoint of your own to the account (empty: none; you then reach the data only through other private endpoints).')
param privateEndpointSubnetId string = ''

@description('Object id, in this tenant, of the service principal of the vendor\'s multi-tenant app (empty: none).')
param vendorPrincipalObjectId string = ''

@description('OIDC issuer URL of the vendor\'s cluster (their output oidcIssuerUrl). Set: a managed identity is made here that trusts it (empty: none).')
param vendorOidcIssuerUrl string = ''

@description('Namespace of the vendor\'s lancegate release.')
param vendorKubernetesNamespace string = 'lancegate'

@description('Service accounts of the vendor\'s lancegate pods.')
param vendorServiceAccountNames array = [
  'lancegate'
  'lancegate-agent'
]

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var makeIdentity = !empty(vendorOidcIssuerUrl)
var identityName = '${storageAccountName}-lancegate'

module storage 'modules/storage.bicep' = {
  name: '${storageAccountName}-storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    skuName: storageSku
    containerName: containerName
    softDeleteDays: blobSoftDeleteDays
    versioning: blobVersioning
    privateEndpointSubnetId: privateEndpointSubnetId
  }
}

module vendorIdentity 'modules/identity.bicep' = if (makeIdentity) {
  name: '${storageAccountName}-identity'
  params: {
    name: identityName
    location: location
    tags: tags
    oidcIssuerUrl: vendorOidcIssuerUrl
    kubernetesNamespace: vendorKubernetesNamespace
    serviceAccountNames: vendorServiceAccountNames
  }
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: containerName
}

// Scoped to the container, not the account: the vendor sees nothing else.
resource vendorAppRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(vendorPrincipalObjectId)) {
  name: guid(container.id, vendorPrincipalObjectId, storageBlobDataContributor)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: vendorPrincipalObjectId
    principalType: 'ServicePrincipal'
    description: 'lancegate (vendor multi-tenant app): Lance datasets in this container'
  }
  dependsOn: [
    storage
  ]
}

resource vendorIdentityRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (makeIdentity) {
  name: guid(container.id, identityName, storageBlobDataContributor)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: makeIdentity ? vendorIdentity!.outputs.principalId : ''
    principalType: 'ServicePrincipal'
    description: 'lancegate (vendor cluster, federated): Lance datasets in this container'
  }
  dependsOn: [
    storage
  ]
}

@description('Give to the vendor: their hybridCustomerStorageAccountId.')
output storageAccountId string = storage.outputs.id

@description('Their storageOptions.azure_storage_account_name.')
output storageAccountName string = storage.outputs.name

@description('Their hybridCustomerContainerName.')
output containerName string = storage.outputs.containerName

@description('Give to the vendor: their hybridCustomerTenantId (workloadIdentity.tenantId).')
output tenantId string = tenant().tenantId

@description('Give to the vendor when vendorOidcIssuerUrl is set: their hybridClientId (workloadIdentity.clientId).')
output vendorIdentityClientId string = makeIdentity ? vendorIdentity!.outputs.clientId : ''
