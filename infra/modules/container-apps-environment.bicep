// Container Apps environment (workload profiles, Consumption profile only) for the bridge. Container logs go
// to the shared Log Analytics workspace, next to the function app's Application Insights data.

@description('Region of the environment')
param location string

@description('Tags applied to the environment')
param tags object

@description('Environment name')
param name string

@description('Log Analytics workspace receiving container logs')
param logAnalyticsName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: logAnalyticsName
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        // The Log Analytics API takes the shared key here; it stays inside this deployment.
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    zoneRedundant: false
  }
}

output id string = environment.id
output name string = environment.name
output defaultDomain string = environment.properties.defaultDomain
