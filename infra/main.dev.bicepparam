// Development environment for `az deployment group create` (docs/deploy.md). Secrets come from the
// environment of the shell that runs the deployment (never from this file):
//   POSTGRES_ADMIN_PASSWORD, POSTGRES_APP_PASSWORD, JWT_SIGNING_KEY, SETTINGS_ENCRYPTION_KEY (infra/scripts/preprovision.sh makes them).
using 'main.bicep'

param environmentName = 'dev'
param postgresAdminPassword = readEnvironmentVariable('POSTGRES_ADMIN_PASSWORD')
param postgresAppPassword = readEnvironmentVariable('POSTGRES_APP_PASSWORD')
param jwtSigningKey = readEnvironmentVariable('JWT_SIGNING_KEY')
param settingsEncryptionKey = readEnvironmentVariable('SETTINGS_ENCRYPTION_KEY')
// Optional: your object ID (az ad signed-in-user show --query id -o tsv) for queue/blob/secret access when operating.
param principalId = readEnvironmentVariable('OPERATOR_PRINCIPAL_ID', '')

param postgresVersion = '17'
param postgresSkuName = 'Standard_B1ms'
param postgresSkuTier = 'Burstable'
param postgresStorageSizeGB = 32
param postgresBackupRetentionDays = 7
param postgresGeoRedundantBackup = 'Disabled'
param postgresHighAvailability = 'Disabled'

param enablePurgeProtection = false
param apiReferencePageEnabled = true
// Connection budget (ConnectionBudgetTests): 3 instances × 10 connections + 20 reserved ≤ the SKU's max_connections.
param maximumInstanceCount = 3
param databaseMaxPoolSize = 10
param logRetentionDays = 30
