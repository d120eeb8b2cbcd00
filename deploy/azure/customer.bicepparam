using './customer.bicep'

// Hybrid model, deployed by the customer in their subscription:
//   az deployment group create -g <rg> -n lancegate-data -f deploy/azure/customer.bicep \
//     -p deploy/azure/customer.bicepparam
// Send the outputs storageAccountId and tenantId (and vendorIdentityClientId
// if you set vendorOidcIssuerUrl) to the vendor, then approve their private
// endpoint (README.md).

param storageAccountName = 'customerlake'
param containerName = 'lancegate'

// `az ad sp show --id <vendor app id> --query id -o tsv` in your tenant,
// after `az ad sp create --id <vendor app id>`.
param vendorPrincipalObjectId = '00000000-0000-0000-0000-000000000000'

// Instead of (or besides) the app: a managed identity of yours that trusts
// the vendor's cluster.
// param vendorOidcIssuerUrl = 'https://<region>.oic.prod-aks.azure.com/<tenant>/<guid>/'

// Your own private endpoint to the account, e.g. for your tools:
// param privateEndpointSubnetId = '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>'
