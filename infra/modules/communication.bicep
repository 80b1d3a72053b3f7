// Azure Communication Services and the Event Grid system topic that publishes its events (IncomingCall among
// them). The subscription that delivers IncomingCall to the function `incoming_call` is created by the
// postdeploy hook from incoming-call-subscription.bicep, because Event Grid checks that the function exists,
// and the function exists only once `azd deploy` has published the code.
// Buying a phone number stays a manual step (docs/deploy.md): it needs an address, a country and a billing choice.

@description('Tags applied to both resources')
param tags object

@description('Communication Services resource name')
param name string

@description('Event Grid system topic name')
param systemTopicName string

@description('Geography where ACS stores data at rest, e.g. "United States", "Europe"')
param dataLocation string

resource acs 'Microsoft.Communication/communicationServices@2023-03-31' = {
  name: name
  // ACS and its system topic are global resources.
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: 'global'
  tags: tags
  properties: {
    source: acs.id
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

output name string = acs.name
output id string = acs.id
output endpoint string = 'https://${acs.properties.hostName}'
// Audience of the JWTs ACS signs its mid-call callbacks with (ACS_RESOURCE_ID).
output immutableResourceId string = acs.properties.immutableResourceId
output systemTopicName string = systemTopic.name
