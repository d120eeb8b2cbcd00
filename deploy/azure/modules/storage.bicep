// The storage account of the Lance datasets: Entra ID only (no shared keys,
// so no SAS either), no public network access, no anonymous blobs, TLS 1.2,
// HTTPS only; the container of the storage root; a private endpoint to the
// blob service when a subnet is given.

@description('Name of the storage account (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Region of the storage account.')
param location string

@description('Tags of every resource.')
param tags object = {}

@description('Redundancy of the account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param skuName string = 'Standard_ZRS'

@description('Container of the storage root (az://<container>/<prefix>).')
param containerName string

@description('Days deleted blobs and containers stay recoverable (0: soft delete off).')
@minValue(0)
@maxValue(365)
param softDeleteDays int = 7

@description('Keep a version of every overwritten or deleted blob. Off by default: see the comment on blobServices.')
param versioning bool = false

@description('Subnet of the private endpoint to the blob service (empty: no private endpoint here).')
param privateEndpointSubnetId string = ''

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    // Flat namespace: Lance commits a version with a conditional create of
    // the manifest (If-None-Match: *), which the Blob API gives on both, and
    // blob versioning/soft delete have fewer restrictions without HNS.
    isHnsEnabled: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Disabled'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'None'
      ipRules: []
      virtualNetworkRules: []
    }
  }
}

// Soft delete protects against a mistaken delete (of a table's files or of
// the whole container) for softDeleteDays at little cost. Versioning is off:
// a Lance dataset is already versioned (immutable data files, one manifest
// per version), and its cleanup deletes old files on purpose, so blob
// versions would only keep paying for what cleanup removed. Turn it on when
// a retention policy requires it.
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: versioning
    deleteRetentionPolicy: {
      enabled: softDeleteDays > 0
      days: max(softDeleteDays, 1)
    }
    containerDeleteRetentionPolicy: {
      enabled: softDeleteDays > 0
      days: max(softDeleteDays, 1)
    }
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

module blobEndpoint 'privateendpoint.bicep' = if (!empty(privateEndpointSubnetId)) {
  name: '${name}-blob-pe'
  params: {
    name: '${name}-blob-pe'
    location: location
    tags: tags
    subnetId: privateEndpointSubnetId
    targetResourceId: account.id
    groupId: 'blob'
    privateDnsZoneName: 'privatelink.blob.${environment().suffixes.storage}'
  }
}

output id string = account.id
output name string = account.name
output containerName string = container.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
