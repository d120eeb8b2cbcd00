// The AKS cluster: OIDC issuer and workload identity on, Azure CNI overlay
// with network policy, Entra ID authentication with Azure RBAC and no local
// accounts, a system pool and an executor pool of NVMe L-series VMs.

@description('Name of the cluster (also its DNS prefix).')
param name string

@description('Region of the cluster.')
param location string

@description('Tags of every resource.')
param tags object = {}

@description('Kubernetes version, e.g. 1.31 (empty: the region\'s default).')
param kubernetesVersion string = ''

@description('Pricing tier: Standard and Premium come with the uptime SLA.')
@allowed([
  'Free'
  'Standard'
  'Premium'
])
param tier string = 'Standard'

@description('Make the API server private (reachable only from the VNet or with az aks command invoke).')
param privateCluster bool = false

@description('Object ids of users or groups that get the Azure Kubernetes Service RBAC Cluster Admin role.')
param clusterAdminPrincipalIds array = []

@description('Availability zones of both node pools ([] in regions without zones).')
param availabilityZones array = []

@description('Network policy engine: cilium (with the Cilium dataplane) or azure (Azure NPM).')
@allowed([
  'cilium'
  'azure'
])
param networkPolicy string = 'cilium'

@description('OS of the nodes.')
@allowed([
  'AzureLinux'
  'Ubuntu'
])
param nodeOsSku string = 'AzureLinux'

@description('Name of the VNet the node subnet is in (the cluster identity gets Network Contributor on it).')
param vnetName string

@description('Resource id of the node subnet.')
param nodeSubnetId string

@description('Overlay pod CIDR (not routable in the VNet; must not overlap it).')
param podCidr string

@description('Service CIDR (must not overlap the VNet or podCidr).')
param serviceCidr string

@description('Cluster DNS service IP, inside serviceCidr.')
param dnsServiceIP string

@description('VM size of the system pool (it also runs the query nodes, the agent and the jobs).')
param systemPoolVmSize string

@minValue(1)
param systemPoolMinCount int

@minValue(1)
param systemPoolMaxCount int

@description('VM size of the executor pool: an L-series size with local NVMe disks.')
param executorPoolVmSize string

@minValue(0)
param executorPoolMinCount int

@minValue(1)
param executorPoolMaxCount int

@description('Taint the executor pool lancegate.io/pool=nvme:NoSchedule so only pods that tolerate it run there.')
param executorPoolTaint bool = false

var executorPoolLabel = 'lancegate.io/pool'
var roles = {
  networkContributor: '4d97b98b-1d4f-4787-a291-c67834d212e7'
  aksRbacClusterAdmin: 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b'
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: vnetName
}

// The cluster (control plane) identity. It is created before the cluster so
// that it holds Network Contributor on the VNet when the cluster comes up:
// cloud-provider-azure acts as this identity when it joins nodes to the
// subnet and creates the internal load balancer and the Private Link Service
// of the query Service.
resource controlPlaneIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${name}-control-plane'
  location: location
  tags: tags
}

resource networkContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vnet.id, controlPlaneIdentity.id, roles.networkContributor)
  scope: vnet
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.networkContributor)
    principalId: controlPlaneIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Base'
    tier: tier
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${controlPlaneIdentity.id}': {}
    }
  }
  properties: {
    kubernetesVersion: empty(kubernetesVersion) ? null : kubernetesVersion
    dnsPrefix: name
    enableRBAC: true
    disableLocalAccounts: true
    aadProfile: {
      managed: true
      enableAzureRBAC: true
      tenantID: tenant().tenantId
    }
    oidcIssuerProfile: {
      enabled: true
    }
    securityProfile: {
      workloadIdentity: {
        enabled: true
      }
    }
    apiServerAccessProfile: {
      enablePrivateCluster: privateCluster
      privateDNSZone: privateCluster ? 'system' : null
    }
    autoUpgradeProfile: {
      upgradeChannel: 'patch'
      nodeOSUpgradeChannel: 'NodeImage'
    }
    networkProfile: {
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      networkPolicy: networkPolicy
      networkDataplane: networkPolicy == 'cilium' ? 'cilium' : 'azure'
      podCidr: podCidr
      serviceCidr: serviceCidr
      dnsServiceIP: dnsServiceIP
      loadBalancerSku: 'standard'
      outboundType: 'loadBalancer'
    }
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        type: 'VirtualMachineScaleSets'
        osType: 'Linux'
        osSKU: nodeOsSku
        vmSize: systemPoolVmSize
        count: systemPoolMinCount
        enableAutoScaling: true
        minCount: systemPoolMinCount
        maxCount: systemPoolMaxCount
        availabilityZones: availabilityZones
        vnetSubnetID: nodeSubnetId
      }
      {
        // Executors: the chart's executorNodeSelector picks these nodes by
        // label. The NVMe disks are used through Azure Container Storage
        // (the managed profile's acstor-ephemeraldisk-nvme class).
        name: 'nvme'
        mode: 'User'
        type: 'VirtualMachineScaleSets'
        osType: 'Linux'
        osSKU: nodeOsSku
        vmSize: executorPoolVmSize
        count: executorPoolMinCount
        enableAutoScaling: true
        minCount: executorPoolMinCount
        maxCount: executorPoolMaxCount
        availabilityZones: availabilityZones
        vnetSubnetID: nodeSubnetId
        nodeLabels: {
          '${executorPoolLabel}': 'nvme'
        }
        nodeTaints: executorPoolTaint ? [
          '${executorPoolLabel}=nvme:NoSchedule'
        ] : []
      }
    ]
  }
  dependsOn: [
    networkContributor
  ]
}

resource clusterAdmins 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in clusterAdminPrincipalIds: {
  name: guid(cluster.id, principalId, roles.aksRbacClusterAdmin)
  scope: cluster
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.aksRbacClusterAdmin)
    principalId: principalId
  }
}]

output name string = cluster.name
output id string = cluster.id
output oidcIssuerUrl string = cluster.properties.oidcIssuerProfile.issuerURL
output nodeResourceGroup string = cluster.properties.nodeResourceGroup
output controlPlanePrincipalId string = controlPlaneIdentity.properties.principalId
