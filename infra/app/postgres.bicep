// Azure Database for PostgreSQL Flexible Server with the app's database. Password authentication: the app reads a
// plain Npgsql connection string (Database:ConnectionString) from Key Vault. Network: public access with firewall
// rules (Flex Consumption has no fixed outbound IPs, hence the "Azure services" rule), or VNet injection into a
// delegated subnet (then public access is off and firewall rules don't apply).

param location string
param tags object
param name string
param databaseName string

@description('PostgreSQL major version.')
@allowed(['14', '15', '16', '17'])
param version string

@description('Compute SKU name, e.g. Standard_B1ms (Burstable), Standard_D2ds_v5 (GeneralPurpose).')
param skuName string

@allowed(['Burstable', 'GeneralPurpose', 'MemoryOptimized'])
param skuTier string

@minValue(32)
param storageSizeGB int

@minValue(7)
@maxValue(35)
param backupRetentionDays int

@allowed(['Disabled', 'Enabled'])
param geoRedundantBackup string

@description('High availability: Disabled, SameZone or ZoneRedundant (not available on Burstable).')
@allowed(['Disabled', 'SameZone', 'ZoneRedundant'])
param highAvailability string

param administratorLogin string

@secure()
param administratorLoginPassword string

@description('Allow connections from any Azure service (firewall rule 0.0.0.0): needed for Flex Consumption without VNet integration.')
param allowAzureServices bool

@description('Extra firewall rules: [{ name, startIpAddress, endIpAddress }] (e.g. the operator\'s IP for migrations).')
param firewallRules array

@description('Resource ID of a subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers; empty for public access.')
param delegatedSubnetId string

@description('Private DNS zone (…postgres.database.azure.com) linked to the VNet; required with delegatedSubnetId.')
param privateDnsZoneId string

var vnetInjected = !empty(delegatedSubnetId)

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorLoginPassword
    authConfig: {
      passwordAuth: 'Enabled'
      activeDirectoryAuth: 'Disabled'
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: geoRedundantBackup
    }
    highAvailability: {
      mode: highAvailability
    }
    network: vnetInjected
      ? {
          delegatedSubnetResourceId: delegatedSubnetId
          privateDnsZoneArmResourceId: privateDnsZoneId
          publicNetworkAccess: 'Disabled'
        }
      : {
          publicNetworkAccess: 'Enabled'
        }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// Only TLS 1.2+ client connections.
resource minTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'ssl_min_protocol_version'
  properties: {
    value: 'TLSv1.2'
    source: 'user-override'
  }
  dependsOn: [database]
}

// Azure allow-lists extensions: the migrations CREATE EXTENSION pg_trgm (trigram indexes behind list search).
// Configurations of one server are applied one after another, hence the dependency on minTls.
resource allowedExtensions 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'azure.extensions'
  properties: {
    value: 'PG_TRGM'
    source: 'user-override'
  }
  dependsOn: [minTls]
}

resource azureServicesRule 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (!vnetInjected && allowAzureServices) {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

@batchSize(1)
resource extraRules 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = [
  for rule in (vnetInjected ? [] : firewallRules): {
    parent: server
    name: rule.name
    properties: {
      startIpAddress: rule.startIpAddress
      endIpAddress: rule.endIpAddress
    }
  }
]

output name string = server.name
output host string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
