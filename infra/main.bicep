// electisSpace Server on Azure: Function App (Flex Consumption, .NET 10 isolated, system-assigned identity),
// one storage account (host, push queues, Durable task hub; identity access only), PostgreSQL Flexible Server,
// Key Vault (secrets referenced from app settings), Application Insights + Log Analytics, role assignments.
//
// Resource-group scope, so the same file serves `azd up` (azd's resource-group-scoped deployments; the group comes
// from AZURE_RESOURCE_GROUP or azd's prompt) and `az deployment group create` (docs/deploy.md).
// Modules are local (infra/app/*.bicep): registry modules can't be restored where CI type-checks this.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Environment name (azd: AZURE_ENV_NAME), e.g. dev or prod; seeds the unique resource names and the azd-env-name tag.')
param environmentName string

@description('Region of every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Object ID of a user to grant data-plane access for troubleshooting (queues, blobs, secrets); empty for none.')
param principalId string = ''

@description('Kind of principalId: User, or ServicePrincipal when a pipeline deploys.')
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

// ---- names (empty: generated) ----
param functionAppName string = ''
param storageAccountName string = ''
param keyVaultName string = ''
param postgresServerName string = ''
param applicationInsightsName string = ''
param logAnalyticsName string = ''

// ---- Function App ----
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

// Connection budget: maximumInstanceCount × databaseMaxPoolSize + 15 (Azure's reserved connections) + 5 (migrations,
// operators) must fit the PostgreSQL SKU's max_connections; ConnectionBudgetTests checks every parameter file. The
// defaults fit Standard_B1ms (50): 3 × 10 + 20 = 50. docs/adr/0005-connection-budget-and-least-privilege.md.
@description('Instances the app scales out to at most (Flex Consumption: 1 to 1000).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 3

@description('PostgreSQL connections per instance at most (Database__MaxPoolSize).')
@minValue(1)
@maxValue(100)
param databaseMaxPoolSize int = 10

@description('Address space of the VNet the app reaches PostgreSQL through (network.bicep): at least a /23.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Storage firewall: deny all but Azure services and the app\'s subnet (Microsoft.Storage service endpoint).')
param restrictStorageNetwork bool = false

// ---- PostgreSQL ----
@allowed(['14', '15', '16', '17'])
param postgresVersion string = '17'
param postgresSkuName string = 'Standard_B1ms'
@allowed(['Burstable', 'GeneralPurpose', 'MemoryOptimized'])
param postgresSkuTier string = 'Burstable'
@minValue(32)
param postgresStorageSizeGB int = 32
@minValue(7)
@maxValue(35)
param postgresBackupRetentionDays int = 7
@allowed(['Disabled', 'Enabled'])
param postgresGeoRedundantBackup string = 'Disabled'
@allowed(['Disabled', 'SameZone', 'ZoneRedundant'])
param postgresHighAvailability string = 'Disabled'
param postgresDatabaseName string = 'electisspace'
param postgresAdminLogin string = 'electisadmin'
@secure()
@minLength(12)
@description('PostgreSQL administrator password (stored in Key Vault; part of the app\'s connection string).')
param postgresAdminPassword string
@description('Firewall rules of the public endpoint: [{ name, startIpAddress, endIpAddress }], e.g. the operator\'s address for migrations. The app comes in through the private endpoint.')
param postgresFirewallRules array = []
@description('Login of the app\'s least-privilege role with password authentication (member of electisspace_app, migration 0045).')
param postgresAppLogin string = 'electisapp'
@secure()
@minLength(12)
@description('Password of postgresAppLogin (stored in Key Vault; part of the app\'s connection string with Password auth).')
param postgresAppPassword string
@description('How the app signs in to PostgreSQL: Password (postgresAppLogin) or Entra (a token of its managed identity; needs principalId, principalName).')
@allowed(['Password', 'Entra'])
param postgresAppAuth string = 'Password'
@description('With Entra auth: the operator\'s user principal name (or group / pipeline name), the server\'s Entra administrator.')
param principalName string = ''

// ---- Key Vault and secrets ----
@description('Purge protection on the vault (irreversible): true for production.')
param enablePurgeProtection bool = false
@secure()
@minLength(32)
@description('Access-token signing key (HS256), at least 32 bytes: openssl rand -base64 48.')
param jwtSigningKey string
@secure()
@minLength(44)
@maxLength(44)
@description('Settings-encryption key (AES-256-GCM), 32 bytes base64: openssl rand -base64 32.')
param settingsEncryptionKey string

// ---- app behaviour ----
param jwtIssuer string = 'electisspace'
param jwtAudience string = 'electisspace-clients'
param jwtAccessTokenMinutes int = 15
param jwtRefreshTokenDays int = 7
@description('AIMS base URL for organizations that set none, e.g. https://eu.common.solumesl.com; empty for none.')
param aimsDefaultBaseUrl string = ''
@allowed(['common', 'c1'])
param aimsDefaultCluster string = 'common'
@description('Serve the interactive API reference page (/scalar): true for dev, false for production.')
param apiReferencePageEnabled bool = false

@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(resourceGroup().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = !empty(functionAppName) ? functionAppName : '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(appName, 32)}-${take(resourceToken, 7)}'
// The push engine's queue and the queue its poison messages land in (queue trigger: <queue>-poison).
var pushQueueName = 'aims-push'
var pushPoisonQueueName = 'aims-push-poison'

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: !empty(applicationInsightsName) ? applicationInsightsName : '${abbrs.insightsComponents}${resourceToken}'
    retentionInDays: logRetentionDays
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: !empty(storageAccountName) ? storageAccountName : '${abbrs.storageStorageAccounts}${resourceToken}'
    deploymentContainerName: deploymentContainerName
    queueNames: [pushQueueName, pushPoisonQueueName]
    restrictNetwork: restrictStorageNetwork
    allowedSubnetId: network.outputs.functionsSubnetId
  }
}

module postgres 'app/postgres.bicep' = {
  name: 'postgres'
  params: {
    location: location
    tags: tags
    name: !empty(postgresServerName) ? postgresServerName : '${abbrs.dBforPostgreSQLServers}${resourceToken}'
    databaseName: postgresDatabaseName
    version: postgresVersion
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageSizeGB: postgresStorageSizeGB
    backupRetentionDays: postgresBackupRetentionDays
    geoRedundantBackup: postgresGeoRedundantBackup
    highAvailability: postgresHighAvailability
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    firewallRules: postgresFirewallRules
    entraAuth: postgresAppAuth == 'Entra'
    entraAdmin: { objectId: principalId, name: principalName, type: principalType }
  }
}

module network 'app/network.bicep' = {
  name: 'network'
  params: {
    location: location
    tags: tags
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    addressPrefix: vnetAddressPrefix
    postgresServerId: postgres.outputs.id
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: !empty(keyVaultName) ? keyVaultName : '${abbrs.keyVaultVaults}${resourceToken}'
    enablePurgeProtection: enablePurgeProtection
    postgresHost: postgres.outputs.host
    postgresDatabase: postgres.outputs.databaseName
    postgresAdminPassword: postgresAdminPassword
    // With Entra auth the app's role is named after the app (infra/scripts/with-azure-db.sh creates it) and has no password.
    postgresAppLogin: postgresAppAuth == 'Entra' ? appName : postgresAppLogin
    postgresAppPassword: postgresAppAuth == 'Entra' ? '' : postgresAppPassword
    postgresAppPasswordForScripts: postgresAppPassword
    jwtSigningKey: jwtSigningKey
    settingsEncryptionKey: settingsEncryptionKey
  }
}

module functionApp 'app/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    planName: '${abbrs.webServerFarms}${resourceToken}'
    name: appName
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    virtualNetworkSubnetId: network.outputs.functionsSubnetId
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: functionApp.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module appSettings 'app/appsettings.bicep' = {
  name: 'appsettings'
  params: {
    functionAppName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    jwtSigningKeyUri: keyVault.outputs.jwtSigningKeyUri
    settingsEncryptionKeyUri: keyVault.outputs.settingsEncryptionKeyUri
    databaseConnectionStringUri: keyVault.outputs.databaseConnectionStringUri
    jwtIssuer: jwtIssuer
    jwtAudience: jwtAudience
    jwtAccessTokenMinutes: jwtAccessTokenMinutes
    jwtRefreshTokenDays: jwtRefreshTokenDays
    aimsDefaultBaseUrl: aimsDefaultBaseUrl
    aimsDefaultCluster: aimsDefaultCluster
    apiReferencePageEnabled: apiReferencePageEnabled
    databaseMaxPoolSize: databaseMaxPoolSize
    databaseAuthMode: postgresAppAuth
  }
  dependsOn: [rbac]
}

// Names operators need (no secrets: secret values stay in Key Vault). azd stores them in the environment.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}/api'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AIMS_PUSH_QUEUE string = pushQueueName
output AIMS_PUSH_POISON_QUEUE string = pushPoisonQueueName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output POSTGRES_SERVER_NAME string = postgres.outputs.name
output POSTGRES_HOST string = postgres.outputs.host
output POSTGRES_DATABASE string = postgres.outputs.databaseName
output POSTGRES_ADMIN_LOGIN string = postgresAdminLogin
output POSTGRES_APP_LOGIN string = postgresAppAuth == 'Entra' ? appName : postgresAppLogin
output POSTGRES_APP_AUTH string = postgresAppAuth
output AZURE_FUNCTION_APP_PRINCIPAL_ID string = functionApp.outputs.principalId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output LOG_ANALYTICS_NAME string = monitoring.outputs.logAnalyticsName
