// The one storage account of the app: the Functions host (AzureWebJobsStorage: leases, timers' schedule monitor),
// the Flex Consumption deployment container, the push queues and Durable Functions' task hub (Azure Storage
// provider: its own queues, tables and blobs, created by the extension). Identity access only: shared keys off.

param location string
param tags object
param name string

@description('Blob container the Flex Consumption plan deploys the app package to.')
param deploymentContainerName string

@description('Queues the app uses; the queue trigger moves a message to <queue>-poison after maxDequeueCount (host.json).')
param queueNames array

@description('Deny public network access except from the Function App subnet (needs virtualNetworkSubnetId with a Microsoft.Storage service endpoint).')
param restrictNetwork bool

@description('Function App integration subnet allowed through the firewall when restrictNetwork is true.')
param allowedSubnetId string

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: restrictNetwork
      ? {
          defaultAction: 'Deny'
          bypass: 'AzureServices'
          virtualNetworkRules: empty(allowedSubnetId) ? [] : [{ id: allowedSubnetId, action: 'Allow' }]
        }
      : {
          defaultAction: 'Allow'
          bypass: 'AzureServices'
        }
  }

  resource blobServices 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queueServices 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [
      for queueName in queueNames: {
        name: queueName
      }
    ]
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
