using './main.bicep'

// Model "byoc": the same resources, deployed by the customer in their own
// subscription. Event Hubs keeps local auth for the byoc profile's
// connection-string Secret (README.md tells how to fill it).
//   az deployment group create -g <rg> -n lancegate -f deploy/azure/main.bicep \
//     -p deploy/azure/byoc.bicepparam
// Pairs with deploy/helm/lancegate/profiles/byoc.yaml.

param model = 'byoc'
param namePrefix = 'lg-byoc'
param tags = {
  app: 'lancegate'
  model: 'byoc'
}

// The profile's clients sit in 10.0.0.0/16, the same VNet; the service CIDR
// moves out of their way.
param vnetAddressPrefix = '10.0.0.0/16'
param nodeSubnetPrefix = '10.0.0.0/20'
param plsSubnetPrefix = '10.0.16.0/24'
param privateEndpointSubnetPrefix = '10.0.17.0/24'
param serviceCidr = '172.16.0.0/16'
param dnsServiceIP = '172.16.0.10'

// A smaller footprint: two executors (emptyDir cache).
param systemPoolMinCount = 2
param systemPoolMaxCount = 4
param executorPoolVmSize = 'Standard_L8s_v3'
param executorPoolMinCount = 2
param executorPoolMaxCount = 4

param eventHubsSku = 'Standard'
