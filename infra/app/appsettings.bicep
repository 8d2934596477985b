// THE list of the Function App's app settings: every setting the code reads (shared/ElectisSpace.Core/Configuration/
// ServerSettings.cs, local.settings.sample.json) has its line in `appSettings` below, spelled as an environment
// variable (":" becomes "__"). tests/ElectisSpace.Tests/Configuration/SettingsNamesTests.cs reads this block and
// fails when the code, the sample and this list disagree. To add a setting: one line here (and a parameter in
// main.bicep only if it differs per environment).
//
// Applied as its own resource after the role assignments, so the first start already has Key Vault access and
// storage data roles. This resource replaces the whole settings list on every deployment.

param functionAppName string
param storageAccountName string
param applicationInsightsName string

@description('Unversioned Key Vault secret URIs.')
param jwtSigningKeyUri string
param settingsEncryptionKeyUri string
param databaseConnectionStringUri string

param jwtIssuer string
param jwtAudience string
param jwtAccessTokenMinutes int
param jwtRefreshTokenDays int
param aimsDefaultBaseUrl string
@allowed(['common', 'c1'])
param aimsDefaultCluster string
param apiReferencePageEnabled bool

@description('PostgreSQL connections per instance at most: maximumInstanceCount × this must fit the server (main.bicep).')
param databaseMaxPoolSize int

@description('Password, or Entra: the app signs in with a token of its managed identity (periodic password provider).')
@allowed(['Password', 'Entra'])
param databaseAuthMode string

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var appSettings = {
  // Functions host storage by identity (no keys): the push queues (queue trigger and the app's queue client) and
  // Durable's task hub use this same connection; the service URIs come from the account (right for any cloud).
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'

  // Secrets: Key Vault references, resolved by the platform with the app's identity.
  Database__ConnectionString: '@Microsoft.KeyVault(SecretUri=${databaseConnectionStringUri})'
  Jwt__SigningKey: '@Microsoft.KeyVault(SecretUri=${jwtSigningKeyUri})'
  Security__SettingsEncryptionKey: '@Microsoft.KeyVault(SecretUri=${settingsEncryptionKeyUri})'

  // Flex Consumption allows 30 s for start-up: migrations run from the deploy hook (infra/scripts/with-azure-db.sh migrate, azure.yaml) instead.
  Database__RunMigrations: 'false'
  // Connections per instance (PostgreSQL runs a process per connection; see docs/performance.md). Times the instance
  // limit it must fit the server's max_connections (ConnectionBudgetTests; docs/adr/0005-connection-budget-and-least-privilege.md).
  Database__MaxPoolSize: string(databaseMaxPoolSize)
  Database__AuthMode: databaseAuthMode

  Jwt__Issuer: jwtIssuer
  Jwt__Audience: jwtAudience
  Jwt__AccessTokenMinutes: string(jwtAccessTokenMinutes)
  Jwt__RefreshTokenDays: string(jwtRefreshTokenDays)

  Aims__DefaultBaseUrl: aimsDefaultBaseUrl
  Aims__DefaultCluster: aimsDefaultCluster
  Aims__AttemptTimeoutSeconds: '30'
  Aims__MaxRetries: '3'
  Aims__RetryBaseDelayMilliseconds: '1000'
  Aims__CircuitBreakSeconds: '30'

  Api__ReferencePageEnabled: apiReferencePageEnabled ? 'true' : 'false'
  RateLimits__LoginPerMinute: '5'
  RateLimits__RefreshPerMinute: '10'

  // Push engine: the Functions triggers consume the aims-push queue on AzureWebJobsStorage (identity-based above), so the
  // in-process worker of the Standalone host is off here; retry timing, AIMS-down wait, lease, sweeper and retention.
  Queue__Provider: 'AzureStorage'
  Sync__WorkerEnabled: 'false'
  Sync__RetryBaseDelayMilliseconds: '2000'
  Sync__RetryMaxDelaySeconds: '300'
  Sync__AimsDownWaitMilliseconds: '30000'
  Sync__LeaseSeconds: '120'
  Sync__SweepIntervalSeconds: '30'
  Sync__RetentionDays: '7'
  Sync__MessageRetryBaseMilliseconds: '1000'
  Sync__MessageRetryMaxSeconds: '60'
  Sync__MessageMaxDeliveries: '8'
  // Idempotency-Key: answers kept 24 h; a running request holds its key 2 min (docs/api-conventions.md).
  Idempotency__RetentionSeconds: '86400'
  Idempotency__LeaseSeconds: '120'

  // Live updates (GET /api/events, docs/events.md). A response through the Functions front end ends at 230 s, so a stream
  // ends itself before that and the client resumes with Last-Event-ID; the poller reads new events every 150 ms.
  Events__PollMilliseconds: '150'
  Events__PollSpacingMilliseconds: '25'
  Events__HeartbeatMilliseconds: '15000'
  Events__RetentionMinutes: '10'
  Events__SessionCheckMilliseconds: '3000'
  Events__StreamBuffer: '10000'
  Events__MaxStreamSeconds: '200'

  // Sync timers (NCRONTAB, six fields: the timer triggers bind %Sync:AliveSchedule% / %Sync:PullSchedule%) and the
  // full-sync step retries (Durable activity retry options).
  Sync__AliveSchedule: '0 */1 * * * *'
  Sync__PullSchedule: '30 */1 * * * *'
  Sync__TimersEnabled: 'true'
  Sync__StepMaxAttempts: '3'
  Sync__StepRetryMilliseconds: '2000'

  // The Functions host's own proxy (loopback) is always trusted; add Front Door / Application Gateway ranges here.
  Network__TrustedProxies: ''
}

resource settings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}
