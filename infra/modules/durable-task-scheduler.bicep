// Durable Task Scheduler: the managed Durable Functions backend, deployed only when main.bicep's
// durableBackend is 'DurableTaskScheduler'. One scheduler, one task hub named like DURABLE_TASK_HUB, and the
// function app identity as Durable Task Data Contributor on it (no keys: the app authenticates with that
// identity through DURABLE_TASK_SCHEDULER_CONNECTION_STRING).
targetScope = 'resourceGroup'

@description('Region of the scheduler')
param location string

@description('Tags applied to the scheduler')
param tags object

@description('Scheduler name (3-64 letters, digits and hyphens)')
param name string

@description('Task hub name; the function app reads it from DURABLE_TASK_HUB')
param taskHubName string

@description('Principal id of the function app identity')
param apiPrincipalId string

@description('Consumption bills per orchestration action; Dedicated reserves capacity units')
@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string = 'Consumption'

// Built-in role "Durable Task Data Contributor" (the same id in every tenant).
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: skuName
    }
    // An empty list denies every caller; access is still gated by the Entra role below.
    ipAllowlist: [
      '0.0.0.0/0'
    ]
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

resource apiDurableTask 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, apiPrincipalId, durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
    principalId: apiPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
