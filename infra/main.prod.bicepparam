// Production environment for `az deployment group create` (docs/deploy.md). Secrets come from the
// environment of the shell that runs the deployment (never from this file):
//   POSTGRES_ADMIN_PASSWORD, JWT_SIGNING_KEY, SETTINGS_ENCRYPTION_KEY.
// For private networking set functionSubnetId (delegated to Microsoft.App/environments), restrictStorageNetwork,
// postgresDelegatedSubnetId + postgresPrivateDnsZoneId, and postgresAllowAzureServices = false.
using 'main.bicep'

param environmentName = 'prod'
param postgresAdminPassword = readEnvironmentVariable('POSTGRES_ADMIN_PASSWORD')
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
param postgresAllowAzureServices = true

param enablePurgeProtection = true
param apiReferencePageEnabled = false
param maximumInstanceCount = 100
param logRetentionDays = 90
