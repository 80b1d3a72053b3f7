// Static Web App serving frontend/dist. The front end loads /api/runtime-config.js and calls /api on its own
// origin, so the function app is linked as its /api backend (api-link.bicep), which needs the Standard plan.

@description('Region of the static web app (a Static Web Apps region)')
param location string

@description('Tags applied to the app (it also gets azd-service-name)')
param tags object

@description('Static web app name')
param name string

@description('azd service this app is deployed as (azure.yaml)')
param serviceName string = 'web'

@description('Standard: the function app can be linked as /api (api-link.bicep); Free: static files only')
@allowed([
  'Free'
  'Standard'
])
param sku string = 'Standard'

resource swa 'Microsoft.Web/staticSites@2023-12-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  sku: {
    name: sku
    tier: sku
  }
  properties: {
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
  }
}

output name string = swa.name
output uri string = 'https://${swa.properties.defaultHostname}'
