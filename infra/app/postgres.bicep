// Azure Database for PostgreSQL Flexible Server with the app's database. The administrator login runs migrations (a
// deploy step); the app connects as a least-privilege role (migration 0045, `app-login`): by password, or with
// entraAuth by a Microsoft Entra token of its managed identity. Network: the app reaches the server through a private
// endpoint (network.bicep); the public endpoint admits only the explicit firewallRules (the operator's address for
// migrations), never "all Azure services" (0.0.0.0). docs/adr/0005-connection-budget-and-least-privilege.md.

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

@description('Firewall rules of the public endpoint: [{ name, startIpAddress, endIpAddress }] (e.g. the operator\'s IP for migrations); a 0.0.0.0 rule (all of Azure) is dropped.')
param firewallRules array

@description('Microsoft Entra authentication (besides passwords), with entraAdmin as the Entra administrator.')
param entraAuth bool

@description('The Entra administrator (creates the app identity\'s role): { objectId, name, type: User|Group|ServicePrincipal }.')
param entraAdmin object

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
      activeDirectoryAuth: entraAuth ? 'Enabled' : 'Disabled'
      tenantId: entraAuth ? subscription().tenantId : null
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
    // Public access for the operator's explicit firewall rules only; the app comes in through the private endpoint.
    network: {
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

// Entra administrator: a person or group, never the app's identity (an administrator is a member of azure_pg_admin).
resource entraAdministrator 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = if (entraAuth) {
  parent: server
  name: entraAuth ? entraAdmin.objectId : 'none'
  properties: {
    principalName: entraAdmin.name
    principalType: entraAdmin.type
    tenantId: subscription().tenantId
  }
  dependsOn: [allowedExtensions]
}

@batchSize(1)
resource extraRules 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = [
  for rule in filter(firewallRules, r => r.startIpAddress != '0.0.0.0'): {
    parent: server
    name: rule.name
    properties: {
      startIpAddress: rule.startIpAddress
      endIpAddress: rule.endIpAddress
    }
  }
]

output id string = server.id
output name string = server.name
output host string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
