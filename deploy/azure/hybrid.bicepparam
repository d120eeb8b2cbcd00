using './main.bicep'

// Model "hybrid": compute in the vendor's subscription, data in the
// customer's storage account (customer.bicep, deployed by the customer),
// reached through a private endpoint they approve, as a cross-tenant
// identity. Kafka runs in the cluster: no Event Hubs.
//   az deployment group create -g <rg> -n lancegate -f deploy/azure/main.bicep \
//     -p deploy/azure/hybrid.bicepparam
// Pairs with deploy/helm/lancegate/profiles/hybrid.yaml. The placeholders
// below come from the customer (outputs of customer.bicep) and from the app
// registration (README.md, "Hybrid: the cross-tenant identity").

param model = 'hybrid'
param namePrefix = 'lg-hybrid'
param tags = {
  app: 'lancegate'
  model: 'hybrid'
}

// customer.bicep's outputs storageAccountId and tenantId.
param hybridCustomerStorageAccountId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/customer-data/providers/Microsoft.Storage/storageAccounts/customerlake'
param hybridCustomerContainerName = 'lancegate'
param hybridCustomerTenantId = '00000000-0000-0000-0000-000000000000'
// The multi-tenant app's client id (or customer.bicep's vendorIdentityClientId).
param hybridClientId = '00000000-0000-0000-0000-000000000000'

// The profile allows pgwire from 10.50.0.0/24: make that the PLS NAT subnet.
param vnetAddressPrefix = '10.50.0.0/16'
param plsSubnetPrefix = '10.50.0.0/24'
param privateEndpointSubnetPrefix = '10.50.1.0/24'
param nodeSubnetPrefix = '10.50.16.0/20'

param executorPoolVmSize = 'Standard_L8s_v3'
param executorPoolMinCount = 3
param executorPoolMaxCount = 6
