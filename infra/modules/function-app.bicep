// The function app on the Flex Consumption plan (Linux, Python): pay per execution, scale to zero, up to
// `maximumInstanceCount` instances. Its storage (AzureWebJobsStorage, Durable Functions, deployment package)
// is reached with the user-assigned identity only; secrets are Key Vault references resolved by the platform.
// Flex Consumption moved the runtime, worker and deployment settings into `functionAppConfig`, so
// FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE must not be app settings.

@description('Region of the plan and the app')
param location string

@description('Tags applied to the plan and the app (the app also gets azd-service-name)')
param tags object

@description('Flex Consumption plan name')
param planName string

@description('Function app name')
param name string

@description('azd service this app is deployed as (azure.yaml)')
param serviceName string = 'api'

@description('Python version of the Flex Consumption runtime; keep in line with requirements.txt')
@allowed([
  '3.11'
  '3.12'
])
param pythonVersion string = '3.11'

@description('Memory of one instance (MB)')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the app may scale out to (caps cost under load)')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Resource id of the app\'s user-assigned identity')
param identityId string

@description('Client id of that identity (AzureWebJobsStorage__clientId, AZURE_CLIENT_ID)')
param identityClientId string

@description('Storage account for AzureWebJobsStorage and Durable Functions')
param storageAccountName string

@description('Blob endpoint of that account, ending in /')
param storageBlobEndpoint string

@description('Table endpoint of that account (call records)')
param storageTableEndpoint string

@description('Container holding the deployment package')
param deploymentContainerName string

@description('Application Insights component the app reports to')
param applicationInsightsName string

@description('Plain (non-secret) settings of the app, named as in callcenter/config.py')
param settings object

@description('Public wss base URL of the bridge (BRIDGE_PUBLIC_URL)')
param bridgePublicUrl string

@description('Communication Services endpoint; empty = phone calls not deployed')
param acsEndpoint string = ''

@description('Immutable resource id of ACS (ACS_RESOURCE_ID, audience of callback JWTs)')
param acsResourceId string = ''

@description('Key Vault secret URI of CALL_TOKEN_SECRET')
param callTokenSecretUri string

@description('Key Vault secret URI of DNC_HASH_KEY')
param dncHashKeySecretUri string

@description('Key Vault secret URI of DNC_HASH_KEY_PREVIOUS; empty = no rotation in progress')
param dncHashKeyPreviousSecretUri string = ''

@description('Key Vault secret URI of the Azure OpenAI key; empty = managed identity')
param azureOpenAiApiKeySecretUri string = ''

@description('Key Vault secret URI of the ACS access key; empty = managed identity')
param acsAccessKeySecretUri string = ''

@description('Durable Task Scheduler endpoint; empty = Durable Functions keeps its Azure Storage backend')
param durableTaskSchedulerEndpoint string = ''

// host.json names no storage provider (Azure Storage, also what the local stack runs). For the managed
// backend the platform's AzureFunctionsJobHost__<path> app settings override host.json per deployment.
var durableTaskSchedulerConfig = {
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  // No secret: the endpoint and which identity to authenticate with.
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
}
var durableTaskSchedulerSettings = empty(durableTaskSchedulerEndpoint) ? {} : durableTaskSchedulerConfig

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Flex Consumption plan: zone redundancy is a per-region production option, not a default for a trial
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: ACS callbacks, Event Grid and the browser call the function app; its endpoints check keys or signed tokens
  // checkov:skip=CKV_AZURE_17: ACS callbacks and Event Grid present no client certificate; they are authenticated by signed tokens
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales per call from zero; always-ready instances would cost money at rest
  // checkov:skip=CKV_AZURE_213: App Service health check applies to dedicated plans; Flex Consumption manages instance health itself
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with this identity (it has Key Vault Secrets User).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_66: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_63: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_222: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_80: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_13: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_88: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_65: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  parent: app
  name: 'appsettings'
  properties: union(settings, durableTaskSchedulerSettings, {
    // Functions host storage with managed identity (no connection string, no key).
    AzureWebJobsStorage__accountName: storage.name
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    // Local auth is off on the component: telemetry is sent with an Entra token of this identity.
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // DefaultAzureCredential picks the user-assigned identity by this id (Azure OpenAI, ACS, Table Storage).
    AZURE_CLIENT_ID: identityClientId
    CALLCENTER_TABLES_ENDPOINT: storageTableEndpoint
    PUBLIC_BASE_URL: 'https://${app.properties.defaultHostName}'
    BRIDGE_PUBLIC_URL: bridgePublicUrl
    ACS_ENDPOINT: acsEndpoint
    ACS_RESOURCE_ID: acsResourceId
    // Secrets: Key Vault references, resolved by the platform with keyVaultReferenceIdentity.
    CALL_TOKEN_SECRET: '@Microsoft.KeyVault(SecretUri=${callTokenSecretUri})'
    DNC_HASH_KEY: '@Microsoft.KeyVault(SecretUri=${dncHashKeySecretUri})'
    DNC_HASH_KEY_PREVIOUS: empty(dncHashKeyPreviousSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${dncHashKeyPreviousSecretUri})'
    AZURE_OPENAI_API_KEY: empty(azureOpenAiApiKeySecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${azureOpenAiApiKeySecretUri})'
    ACS_ACCESS_KEY: empty(acsAccessKeySecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${acsAccessKeySecretUri})'
  })
}

output id string = app.id
output name string = app.name
output defaultHostName string = app.properties.defaultHostName
output uri string = 'https://${app.properties.defaultHostName}'
