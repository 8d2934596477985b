// Key Vault (RBAC mode) holding every secret the app reads. App settings reference them with
// @Microsoft.KeyVault(SecretUri=...) (no version: the latest version is used), resolved by the platform with the
// app's system-assigned identity (Key Vault Secrets User, rbac.bicep). Flex Consumption cannot resolve references
// to a network-restricted vault, so the vault keeps public network access and relies on RBAC (no access policies).

param location string
param tags object
param name string

@description('Purge protection (cannot be turned off again once on): true for production.')
param enablePurgeProtection bool

@description('Host name of the PostgreSQL server, for the connection string secret.')
param postgresHost string
param postgresDatabase string

@secure()
param postgresAdminPassword string

@description('The app\'s least-privilege login (not the administrator): member of electisspace_app (migration 0045).')
param postgresAppLogin string

@secure()
@description('Its password; empty when the app signs in with an Entra token (Database__AuthMode=Entra).')
param postgresAppPassword string

@secure()
@description('The password login\'s password, kept for infra/scripts/with-azure-db.sh (app-login sets it).')
param postgresAppPasswordForScripts string

@secure()
@description('HS256 signing key for access tokens (at least 32 bytes).')
param jwtSigningKey string

@secure()
@description('AES-256-GCM key for secrets in organization settings: 32 bytes, base64.')
param settingsEncryptionKey string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource jwtSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'jwt-signing-key'
  properties: {
    value: jwtSigningKey
  }
}

resource settingsKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'settings-encryption-key'
  properties: {
    value: settingsEncryptionKey
  }
}

resource postgresPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'postgres-admin-password'
  properties: {
    value: postgresAdminPassword
  }
}

resource postgresAppPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'postgres-app-password'
  properties: {
    value: postgresAppPasswordForScripts
  }
}

// The app's Npgsql connection string: its own login, never the administrator's. VerifyFull checks the server
// certificate (Azure's CAs are in the Linux trust store). Without a password the app asks Entra for a token.
resource databaseConnectionSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'database-connection-string'
  properties: {
    value: 'Host=${postgresHost};Port=5432;Database=${postgresDatabase};Username=${postgresAppLogin};${empty(postgresAppPassword) ? '' : 'Password=${postgresAppPassword};'}SSL Mode=VerifyFull'
  }
}

output name string = vault.name
// Unversioned secret URIs (not the values): references always resolve to the latest version.
output jwtSigningKeyUri string = jwtSecret.properties.secretUri
output settingsEncryptionKeyUri string = settingsKeySecret.properties.secretUri
output databaseConnectionStringUri string = databaseConnectionSecret.properties.secretUri
