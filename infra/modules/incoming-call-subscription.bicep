// Event Grid subscription: ACS IncomingCall -> the function `incoming_call` (Event Grid trigger).
// Deployed by infra/hooks/postdeploy.* after `azd deploy` published the function code: the AzureFunction
// endpoint type is validated against the function's trigger when the subscription is created, and needs no
// system key in a URL (unlike the webhook endpoint type), so no secret is handled at all.
targetScope = 'resourceGroup'

@description('Event Grid system topic of the Communication Services resource')
param systemTopicName string

@description('Function app that hosts the Event Grid trigger')
param functionAppName string

@description('Name of the Event Grid-triggered function')
param functionName string = 'incoming_call'

@description('Delivery attempts for one IncomingCall; an incoming call context expires in about 30 seconds, so a few fast retries are all that help')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 3

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource incomingCall 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'incoming-call'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.IncomingCall'
        // The recording's file location, after the call (callcenter/telephony/recordings.py).
        'Microsoft.Communication.RecordingFileStatusUpdated'
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      // Minutes; a call that waited this long has long been abandoned by the caller.
      eventTimeToLiveInMinutes: 1
    }
  }
}

output subscriptionName string = incomingCall.name
