// Production environment for `az deployment group create` (docs/deploy.md). Secrets come from the
// environment of the shell that runs the deployment (never from this file):
//   POSTGRES_ADMIN_PASSWORD, POSTGRES_APP_PASSWORD, JWT_SIGNING_KEY, SETTINGS_ENCRYPTION_KEY.
// The app reaches PostgreSQL through a private endpoint in the VNet main.bicep creates; the server's public endpoint
// admits only postgresFirewallRules (none here: with-azure-db.sh opens a temporary rule for migrations).
using 'main.bicep'

param environmentName = 'prod'
param postgresAdminPassword = readEnvironmentVariable('POSTGRES_ADMIN_PASSWORD')
param postgresAppPassword = readEnvironmentVariable('POSTGRES_APP_PASSWORD')
param jwtSigningKey = readEnvironmentVariable('JWT_SIGNING_KEY')
param settingsEncryptionKey = readEnvironmentVariable('SETTINGS_ENCRYPTION_KEY')
// Optional: your object ID (az ad signed-in-user show --query id -o tsv) for queue/blob/secret access when operating.
param principalId = readEnvironmentVariable('OPERATOR_PRINCIPAL_ID', '')

param postgresVersion = '17'
param postgresSkuName = 'Standard_D2ds_v5'
param postgresSkuTier = 'GeneralPurpose'
param postgresStorageSizeGB = 64
param postgresBackupRetentionDays = 35
param postgresGeoRedundantBackup = 'Enabled'
param postgresHighAvailability = 'ZoneRedundant'

param enablePurgeProtection = true
param apiReferencePageEnabled = false
// Connection budget (ConnectionBudgetTests): 50 instances × 16 connections + 20 reserved ≤ the SKU's max_connections.
param maximumInstanceCount = 50
param databaseMaxPoolSize = 16
param logRetentionDays = 90
