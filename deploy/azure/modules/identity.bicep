// The user-assigned managed identity lancegate's pods act as, and one
// federated identity credential per Kubernetes service account that trusts
// the cluster's OIDC issuer: a pod of that service account, labelled
// azure.workload.identity/use: "true", exchanges its projected token for an
// Entra ID token of this identity.

@description('Name of the identity.')
param name string

@description('Region of the identity.')
param location string

@description('Tags of every resource.')
param tags object = {}

@description('OIDC issuer URL of the cluster the pods run in (AKS: oidcIssuerProfile.issuerURL).')
param oidcIssuerUrl string

@description('Namespace of the service accounts.')
param kubernetesNamespace string

@description('Service accounts that act as the identity (the chart\'s: <fullname> and <fullname>-agent).')
param serviceAccountNames array

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

// One at a time: Azure refuses concurrent writes of federated credentials on
// one identity.
@batchSize(1)
resource federatedCredentials 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [for sa in serviceAccountNames: {
  parent: identity
  name: replace('${kubernetesNamespace}-${sa}', '.', '-')
  properties: {
    issuer: oidcIssuerUrl
    subject: 'system:serviceaccount:${kubernetesNamespace}:${sa}'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}]

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
output tenantId string = identity.properties.tenantId
