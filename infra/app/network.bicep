// The private path from the Function App to PostgreSQL: a VNet whose `functions` subnet the app is integrated into
// (outbound; delegated to Microsoft.App/environments, as Flex Consumption requires), and a private endpoint of the
// PostgreSQL server in the `private-endpoints` subnet, resolved through the privatelink DNS zone linked to the VNet.
// So the server's firewall needs no "allow all Azure services" rule (0.0.0.0): only the operator's explicit addresses
// (temporary, for migrations) reach its public endpoint. docs/adr/0005-connection-budget-and-least-privilege.md.

param location string
param tags object
param name string

@description('Address space of the VNet; the two /24 subnets are its first two.')
param addressPrefix string

@description('Resource ID of the PostgreSQL Flexible Server the private endpoint connects to.')
param postgresServerId string

var functionsSubnetPrefix = cidrSubnet(addressPrefix, 24, 0)
var privateEndpointsSubnetPrefix = cidrSubnet(addressPrefix, 24, 1)

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        name: 'functions'
        properties: {
          addressPrefix: functionsSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
          // Lets the storage firewall admit this subnet when restrictStorageNetwork is on.
          serviceEndpoints: [
            { service: 'Microsoft.Storage' }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointsSubnetPrefix
        }
      }
    ]
  }
}

// The zone PostgreSQL Flexible Server's private endpoints register in (the server's own host name is a CNAME to it).
resource dnsZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: 'privatelink.postgres.database.azure.com'
  location: 'global'
  tags: tags
}

resource dnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: dnsZone
  name: '${name}-link'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}

resource postgresEndpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: '${name}-pg'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: vnet.properties.subnets[1].id
    }
    privateLinkServiceConnections: [
      {
        name: 'postgres'
        properties: {
          privateLinkServiceId: postgresServerId
          groupIds: ['postgresqlServer']
        }
      }
    ]
  }
}

resource postgresEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: postgresEndpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'postgres'
        properties: {
          privateDnsZoneId: dnsZone.id
        }
      }
    ]
  }
  dependsOn: [dnsLink]
}

output functionsSubnetId string = vnet.properties.subnets[0].id
