// Container registry for the bridge image. Admin user off: the bridge pulls with its managed identity (AcrPull)
// and azd pushes with the deploying user's Entra token.

@description('Region of the registry')
param location string

@description('Tags applied to the registry')
param tags object

@description('Registry name (globally unique, alphanumeric)')
param name string

@description('Registry SKU; Basic is enough for one image')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param sku string = 'Basic'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
