// Cognitive Services OpenAI User on the existing Azure OpenAI resource, for the function app (web sessions,
// summaries) and the bridge (Realtime WebSocket): both reach Azure OpenAI with Entra tokens, no key.
// Deployed at the scope of the resource group that holds the Azure OpenAI resource.

@description('Name of the existing Azure OpenAI (or AI Services) resource')
param accountName string

@description('Principal ids of the managed identities that call the model')
param principalIds array

var openAiUserRole = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'

resource account 'Microsoft.CognitiveServices/accounts@2023-05-01' existing = {
  name: accountName
}

resource openAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in principalIds: {
  name: guid(account.id, principalId, openAiUserRole)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', openAiUserRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]
