// The media bridge on Azure Container Apps: WebSocket ingress for ACS media streams, always one replica
// (minReplicas >= 1, so a call never waits for a cold start), scale-out on concurrent calls, probes on the
// bridge's /healthz and /readyz, and a termination grace period longer than the bridge's drain time so live
// calls finish on SIGTERM. Secrets come from Key Vault through the bridge's own managed identity.

@description('Region of the app')
param location string

@description('Tags applied to the app (it also gets azd-service-name)')
param tags object

@description('Container app name (2-32 lowercase letters, digits and dashes)')
param name string

@description('azd service this app is deployed as (azure.yaml)')
param serviceName string = 'bridge'

@description('Container Apps environment id')
param environmentId string

@description('Resource id of the bridge\'s user-assigned identity')
param identityId string

@description('Client id of that identity (AZURE_CLIENT_ID for DefaultAzureCredential)')
param identityClientId string

@description('Login server of the registry the image is pulled from')
param registryLoginServer string

@description('Image azd built and pushed (SERVICE_BRIDGE_IMAGE_NAME); empty on the first provision, before any deploy')
param imageName string = ''

@description('Port the bridge listens on inside the container')
param port int = 8765

@description('vCPU of one replica (0.25 steps)')
param cpu string = '0.5'

@description('Memory of one replica; Container Apps needs 2 GiB per vCPU, e.g. 1Gi for 0.5')
param memory string = '1Gi'

@description('Replicas kept running at all times (at least 1: the bridge must answer ACS at once)')
@minValue(1)
param minReplicas int = 1

@description('Most replicas')
@minValue(1)
@maxValue(300)
param maxReplicas int = 10

@description('Concurrent connections (calls) per replica above which another replica is added')
@minValue(1)
param scaleConcurrentCalls int = 30

@description('Seconds the bridge drains live calls after SIGTERM (BRIDGE_DRAIN_SECONDS)')
@minValue(0)
@maxValue(570)
param drainSeconds int = 60

@description('Plain (non-secret) settings, named as in bridge/settings.py')
param settings object

@description('Key Vault secret URI of CALL_TOKEN_SECRET')
param callTokenSecretUri string

@description('Key Vault secret URI of FUNCTION_APP_KEY')
param functionAppKeySecretUri string

@description('Key Vault secret URI of the Azure OpenAI key; empty = managed identity')
param azureOpenAiApiKeySecretUri string = ''

@description('Key Vault secret URI of the Voice Live key; empty = managed identity')
param voiceLiveApiKeySecretUri string = ''

// Until azd has pushed the first image, run a public placeholder; `azd deploy` then swaps in the bridge.
var image = empty(imageName) ? 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest' : imageName

var plainEnv = [for item in items(settings): {
  name: item.key
  value: string(item.value)
}]

var secretEnv = concat([
  {
    name: 'CALL_TOKEN_SECRET'
    secretRef: 'call-token-secret'
  }
  {
    name: 'FUNCTION_APP_KEY'
    secretRef: 'function-app-key'
  }
], empty(azureOpenAiApiKeySecretUri) ? [] : [
  {
    name: 'AZURE_OPENAI_API_KEY'
    secretRef: 'azure-openai-api-key'
  }
], empty(voiceLiveApiKeySecretUri) ? [] : [
  {
    name: 'VOICE_LIVE_API_KEY'
    secretRef: 'voice-live-api-key'
  }
])

var platformEnv = [
  {
    name: 'BRIDGE_HOST'
    value: '0.0.0.0'
  }
  {
    name: 'BRIDGE_PORT'
    value: string(port)
  }
  {
    name: 'BRIDGE_DRAIN_SECONDS'
    value: string(drainSeconds)
  }
  {
    name: 'AZURE_CLIENT_ID'
    value: identityClientId
  }
]

var secrets = concat([
  {
    name: 'call-token-secret'
    keyVaultUrl: callTokenSecretUri
    identity: identityId
  }
  {
    name: 'function-app-key'
    keyVaultUrl: functionAppKeySecretUri
    identity: identityId
  }
], empty(azureOpenAiApiKeySecretUri) ? [] : [
  {
    name: 'azure-openai-api-key'
    keyVaultUrl: azureOpenAiApiKeySecretUri
    identity: identityId
  }
], empty(voiceLiveApiKeySecretUri) ? [] : [
  {
    name: 'voice-live-api-key'
    keyVaultUrl: voiceLiveApiKeySecretUri
    identity: identityId
  }
])

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: port
        // HTTP/1.1 with Upgrade: the ACS media stream is a WebSocket.
        transport: 'auto'
        allowInsecure: false
        traffic: [
          {
            latestRevision: true
            weight: 100
          }
        ]
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: secrets
    }
    template: {
      // SIGTERM -> the bridge stops accepting calls, drains live ones, then exits; SIGKILL only after this.
      terminationGracePeriodSeconds: min(drainSeconds + 30, 600)
      containers: [
        {
          name: 'bridge'
          image: image
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          env: concat(plainEnv, platformEnv, secretEnv)
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: port
                scheme: 'HTTP'
              }
              periodSeconds: 2
              failureThreshold: 30
              timeoutSeconds: 2
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: port
                scheme: 'HTTP'
              }
              periodSeconds: 10
              failureThreshold: 3
              timeoutSeconds: 3
            }
            {
              // 503 while draining or at BRIDGE_MAX_CALLS: the replica stops getting new calls.
              type: 'Readiness'
              httpGet: {
                path: '/readyz'
                port: port
                scheme: 'HTTP'
              }
              periodSeconds: 5
              failureThreshold: 2
              successThreshold: 1
              timeoutSeconds: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [
          {
            // Each ACS media WebSocket is one long-lived request through the ingress.
            name: 'concurrent-calls'
            http: {
              metadata: {
                concurrentRequests: string(scaleConcurrentCalls)
              }
            }
          }
        ]
      }
    }
  }
}

output id string = app.id
output name string = app.name
output fqdn string = app.properties.configuration.ingress.fqdn
