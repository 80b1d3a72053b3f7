// Log Analytics workspace + workspace-based Application Insights, shared by the function app and the bridge.
// Local (key) authentication to App Insights is disabled: the function app sends telemetry with its managed
// identity (Monitoring Metrics Publisher, see role-assignments.bicep).

@description('Region of the workspace and the component')
param location string

@description('Tags applied to every resource')
param tags object

@description('Log Analytics workspace name')
param logAnalyticsName string

@description('Application Insights component name')
param applicationInsightsName string

@description('Days Log Analytics keeps data (30 is the free retention)')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output logAnalyticsName string = workspace.name
output applicationInsightsName string = appInsights.name
output applicationInsightsId string = appInsights.id
