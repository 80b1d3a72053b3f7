// The function app's storage account: AzureWebJobsStorage (Durable Functions task hub queues, tables, blobs),
// the Flex Consumption deployment container, and the call-center tables (call records, campaigns, do-not-call),
// which the app creates on first use. Shared-key access is disabled: every client uses Entra ID.

@description('Region of the account')
param location string

@description('Tags applied to the account')
param tags object

@description('Storage account name (3-24 lowercase letters and digits)')
param name string

@description('Blob container the Flex Consumption plan deploys the app package to')
param deploymentContainerName string

@description('Replication; Standard_LRS keeps cost lowest, use Standard_ZRS for zone redundancy')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param skuName string = 'Standard_LRS'

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  // checkov:skip=CKV_AZURE_35: Flex Consumption without VNet integration reaches its host storage over the public endpoint; shared keys are off, access is by Entra role only
  // checkov:skip=CKV_AZURE_59: same as CKV_AZURE_35: public endpoint, Entra-only access, no anonymous blob access
  // checkov:skip=CKV_AZURE_206: LRS by default keeps a proof of concept cheap; the skuName parameter takes Standard_ZRS or Standard_GRS
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
