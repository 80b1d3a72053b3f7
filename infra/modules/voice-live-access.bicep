// Cognitive Services User on the AI Foundry (AI Services) resource that serves Azure AI Voice Live, for
// the bridge's identity: it opens /voice-live/realtime for phone calls with an Entra token. The function
// app never calls Voice Live (web sessions run on Realtime, docs/voice-live.md), so it gets no role here.

@description('Name of the AI Services resource')
param accountName string

@description('Principal ids of the managed identities that open Voice Live sessions')
param principalIds array

var cognitiveServicesUserRole = 'a97b65f3-24c7-4388-baec-2e87135dc908'

resource account 'Microsoft.CognitiveServices/accounts@2023-05-01' existing = {
  name: accountName
}

resource voiceLiveUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in principalIds: {
  name: guid(account.id, principalId, cognitiveServicesUserRole)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesUserRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]
