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
  // checkov:skip=CKV_AZURE_166: quarantine and scanning need the Premium SKU; the only images are the ones azd builds from this repository
  // checkov:skip=CKV_AZURE_163: vulnerability scanning is Defender for Containers, a subscription plan with its own price; enable it there
  // checkov:skip=CKV_AZURE_139: azd pushes from the developer's machine or CI and Container Apps pulls without a VNet; no anonymous pull, no admin user
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
