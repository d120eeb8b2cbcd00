using './main.bicep'

// Model "managed": everything in the vendor's subscription.
//   az deployment group create -g <rg> -n lancegate -f deploy/azure/main.bicep \
//     -p deploy/azure/managed.bicepparam
// Pairs with deploy/helm/lancegate/profiles/managed.yaml.

param model = 'managed'
param namePrefix = 'lg-managed'
param tags = {
  app: 'lancegate'
  model: 'managed'
}

// Operators who run helm (local accounts are off), e.g. an Entra group:
// param clusterAdminPrincipalIds = [
//   '00000000-0000-0000-0000-000000000000'
// ]

// Six executors (the profile's replicas, two CPUs each) fit on three
// L8s_v3 nodes (8 vCPUs, 1.92 TB NVMe each).
param executorPoolVmSize = 'Standard_L8s_v3'
param executorPoolMinCount = 3
param executorPoolMaxCount = 12

// The profile allows pgwire from this subnet (the PLS NAT IPs).
param plsSubnetPrefix = '10.240.16.0/24'

param eventHubsSku = 'Standard'
param eventHubPartitions = 12
