// An Azure AI Foundry (AI Services) resource for Azure AI Voice Live, when the deployment creates one
// (deployVoiceLive). Entra ID only: the bridge reaches /voice-live/realtime with its managed identity.

@description('Resource location (a Voice Live region, see docs/voice-live.md)')
param location string

param tags object

@description('Account name; also its custom subdomain, which Entra ID tokens require')
param name string

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  // checkov:skip=CKV_AZURE_134: the bridge runs in a Container Apps environment without a private endpoint to this account; Entra ID alone guards it (local auth is off)
  name: name
  location: location
  tags: tags
  kind: 'AIServices'
  sku: {
    name: 'S0'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

output name string = account.name
output endpoint string = 'https://${name}.services.ai.azure.com'
