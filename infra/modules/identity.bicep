// One user-assigned managed identity. main.bicep creates two: one for the function app, one for the bridge,
// so each gets only the roles it needs (role-assignments.bicep, openai-access.bicep).

@description('Region of the identity')
param location string

@description('Tags applied to the identity')
param tags object

@description('Identity name')
param name string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
