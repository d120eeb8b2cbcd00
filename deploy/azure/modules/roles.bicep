// What the workload identity may do: read and write blobs in the storage
// account, and send to and receive from the Event Hubs namespace. Entra ID
// data-plane roles only; there are no keys to hand out.

@description('Object id of the service principal of the workload identity.')
param principalId string

@description('Name of the storage account (in this resource group).')
param storageAccountName string

@description('Name of the Event Hubs namespace (in this resource group).')
param eventHubsNamespaceName string

var roles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  eventHubsDataSender: '2b629674-e913-4c01-ae53-ef4638d8f975'
  eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
}

var eventHubsRoles = [
  roles.eventHubsDataSender
  roles.eventHubsDataReceiver
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: eventHubsNamespaceName
}

resource blobDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, roles.storageBlobDataContributor)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource eventHubsData 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in eventHubsRoles: {
  name: guid(namespace.id, principalId, role)
  scope: namespace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]
