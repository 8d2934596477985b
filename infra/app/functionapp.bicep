// Function App on the Flex Consumption plan (FC1, Linux), .NET 10 isolated worker, system-assigned identity.
//
// Why Flex Consumption: it is the serverless plan the Functions docs recommend for new apps (Linux Consumption is
// being retired), it supports the isolated worker on .NET 10, queue and timer triggers, VNet integration and
// identity-only storage. Durable Functions is supported on Flex Consumption with the Azure Storage provider (the
// docs' Flex "Considerations"; the durable task extension even shortens its queue polling interval when
// WEBSITE_SKU=FlexConsumption), which is the provider host.json configures: it runs on Azurite locally and needs no
// extra resource. Trade-offs noted for operators: no deployment slots, a 30-second limit on app start-up (so
// migrations run from the deploy hook, not at start: Database__RunMigrations=false), and Key Vault references only
// to a vault reachable over its public endpoint.
//
// App settings are NOT set here: appsettings.bicep is the one place they are listed, applied after the role
// assignments exist so that Key Vault references and identity-based storage resolve on the first start.

param location string
param tags object
param planName string
param name string

@description('Blob container URL the package is deployed to (https://<account>.blob.<suffix>/<container>).')
param deploymentContainerUrl string

@allowed([512, 2048, 4096])
param instanceMemoryMB int

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Concurrent HTTP executions per instance before Flex Consumption adds one; open event streams count (docs/events.md).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 200

@description('Subnet (delegated to Microsoft.App/environments) for outbound VNet integration; empty for none.')
param virtualNetworkSubnetId string

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  // azd deploys the "api" service of azure.yaml to the resource carrying this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // An open event stream (GET /api/events) is an HTTP execution for its whole life: at the default concurrency
        // (16 on 2 GB) every 16 listening clients would scale out one more instance. Streams cost little CPU each, so
        // an instance takes many; see docs/events.md.
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      // Replaces the FUNCTIONS_WORKER_RUNTIME app setting on Flex Consumption (the setting itself is not allowed there).
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// No FTP and no basic-auth (publishing profile) deployments: deploy with Entra ID (azd / az CLI).
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
