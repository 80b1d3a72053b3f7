// The whole Agentic Call Center for `azd up`: one resource group holding the function app (Flex Consumption,
// Durable Functions), its storage, Key Vault, Communication Services + Event Grid, the media bridge on
// Container Apps, the Static Web App, monitoring, two managed identities and their roles. Azure OpenAI is an
// existing resource (parameters below). See docs/deploy.md.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------- environment

@minLength(1)
@maxLength(64)
@description('azd environment name: names the resource group and tags every resource')
param environmentName string

@minLength(1)
@description('Region of every regional resource; it must offer Flex Consumption and Container Apps')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Region of the Static Web App (Static Web Apps runs in a few regions only)')
@allowed([
  'centralus'
  'eastus2'
  'eastasia'
  'westeurope'
  'westus2'
])
param staticWebAppLocation string = 'eastus2'

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID): may read Key Vault secrets for the postdeploy hook')
param principalId string = ''

@description('Type of that principal; ServicePrincipal when a CI pipeline deploys')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

// ---------------------------------------------------------------------------------------------- Azure OpenAI

@description('Endpoint of the existing Azure OpenAI resource, e.g. https://myres.openai.azure.com')
param azureOpenAiEndpoint string

@description('Name of that resource, to grant both identities Cognitive Services OpenAI User; empty = grant it yourself')
param azureOpenAiResourceName string = ''

@description('Resource group of that resource (same subscription); empty = the one azd creates')
param azureOpenAiResourceGroup string = ''

@description('GPT-Realtime deployment name')
param azureOpenAiRealtimeDeployment string = 'gpt-realtime'

@description('Chat deployment for post-call summaries; empty = no summaries')
param azureOpenAiSummaryDeployment string = ''

@secure()
@description('Azure OpenAI key; leave empty to use managed identity (recommended). A key goes to Key Vault only')
param azureOpenAiApiKey string = ''

// ---------------------------------------------------------------------------------------------- Azure AI Voice Live

@description('Create an AI Foundry (AI Services) resource for Voice Live agents (docs/voice-live.md)')
param deployVoiceLive bool = false

@description('Or the endpoint of an existing one, e.g. https://myres.services.ai.azure.com; empty = no Voice Live')
param voiceLiveEndpoint string = ''

@description('Name of that existing resource, to grant the bridge Cognitive Services User; empty = grant it yourself')
param voiceLiveResourceName string = ''

@description('Resource group of that resource (same subscription); empty = the one azd creates')
param voiceLiveResourceGroup string = ''

@description('Voice Live api-version (the GA one the Voice Live docs name)')
param voiceLiveApiVersion string = '2026-04-10'

@secure()
@description('Voice Live key; leave empty to use managed identity (recommended). A key goes to Key Vault only')
param voiceLiveApiKey string = ''

@description('Speech backend per agent, overriding its profile: agent=realtime|voice-live,...')
param agentBackends string = ''

@description('Voice Live USD per 1,000 input / output tokens; empty = the Realtime prices')
param priceVoiceLivePer1kInputTokens string = ''
param priceVoiceLivePer1kOutputTokens string = ''

// ---------------------------------------------------------------------------------------------- secrets

@secure()
@description('Shared secret signing per-call tokens; azd generates it once and keeps it in the environment')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param callTokenSecret string

@secure()
@description('Function key the bridge uses; azd generates it, the postdeploy hook registers it on the function app')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param functionAppKey string

@secure()
@description('Key of the HMAC the do-not-call list is keyed by; azd generates it once. Never replace it without moving the old one to dncHashKeyPrevious (docs/do-not-call.md)')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param dncHashKey string

@secure()
@description('The dncHashKey a rotation replaced, kept until no do-not-call row is keyed by it; empty = none')
param dncHashKeyPrevious string = ''

@description('Key Vault purge protection (turn on for production)')
param keyVaultPurgeProtection bool = false

// ---------------------------------------------------------------------------------------------- phone

@description('Deploy Communication Services and Event Grid (phone calls); false = web channel only')
param deployCommunicationServices bool = true

@description('Where ACS keeps data at rest')
param acsDataLocation string = 'United States'

@description('Authenticate to ACS with its access key (stored in Key Vault) instead of managed identity')
param acsUseAccessKey bool = false

@description('Phone number bought in ACS, E.164; empty until you buy one (docs/deploy.md)')
param acsPhoneNumber string = ''

@description('OpenID configuration publishing the keys ACS signs callbacks with')
param acsOpenIdConfigUrl string = 'https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration'

@description('Agent per dialled number: +15551230000=telecom,...')
param phoneAgents string = ''

@description('Escalation target: E.164 number or ACS user id; empty = no transfers')
param humanAgentTarget string = ''

@description('When humans take transfers')
param humanAgentHours string = 'Mon-Fri 09:00-17:00'

@description('Time zone of humanAgentHours (IANA name)')
param humanAgentTimezone string = 'UTC'

@description('Longest call, seconds')
@minValue(30)
@maxValue(14400)
param maxCallSeconds int = 1800

@description('How long an outbound call may ring, seconds')
@minValue(5)
@maxValue(300)
param noAnswerSeconds int = 45

@description('Play a consent prompt and record calls')
param recordingEnabled bool = false

@description('Mask card numbers, phone numbers and e-mail addresses in stored transcripts and tool calls')
param redactTranscripts bool = false

@description('Days call records, call events and finished Durable instances are kept (a daily timer purges older ones)')
@minValue(1)
@maxValue(3650)
param retentionDays int = 90

@description('Lifetime of a per-call token, seconds')
@minValue(60)
@maxValue(86400)
param callTokenTtlSeconds int = 3600

// ---------------------------------------------------------------------------------------------- app

@description('Agent profile used when none is asked for')
param defaultAgent string = 'default'

@description('Lifetime of a web session\'s ephemeral key, seconds')
@minValue(10)
@maxValue(7200)
param realtimeSessionTtlSeconds int = 600

@description('Telephony price per minute (USD), for cost estimates')
param pricePerPhoneMinute string = '0.013'

@description('Model price per 1,000 input tokens (USD)')
param pricePer1kInputTokens string = '0.032'

@description('Model price per 1,000 output tokens (USD)')
param pricePer1kOutputTokens string = '0.064'

@description('JSON file (in the deployed package) declaring HTTP tools; empty = none')
param httpToolsFile string = ''

@description('JSON file naming OpenAPI documents and operations to expose; empty = none')
param openApiToolsFile string = ''

@description('Hosts HTTP/OpenAPI tools may call, comma-separated')
param toolAllowedHosts string = ''

@description('Timeout of one HTTP tool request, seconds')
@minValue(1)
@maxValue(60)
param toolHttpTimeoutSeconds int = 8

@description('Largest request body accepted, bytes')
param maxBodyBytes int = 1048576

@description('Extra browser origins allowed besides the Static Web App, comma-separated')
param extraCorsOrigins string = ''

@description('Web sessions one client may start per minute')
param sessionRateLimitPerMinute int = 6

@description('Require a Static Web Apps signed-in user for sessions, calls, records and campaigns')
param requireSignedInUser bool = true

@description('API base URL served to the front end; empty = same origin (the SWA-linked /api)')
param apiBaseUrl string = ''

@description('Durable Functions task hub name (host.json reads %DURABLE_TASK_HUB%)')
param durableTaskHub string = 'callcenter'

@description('Durable Functions backend: AzureStorage (queues and tables of the app storage account) or DurableTaskScheduler (managed; for campaigns that outgrow storage queues, see docs/deploy.md)')
@allowed([
  'AzureStorage'
  'DurableTaskScheduler'
])
param durableBackend string = 'AzureStorage'

@description('Memory of one function app instance, MB')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Most function app instances')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Link the function app as the Static Web App\'s /api (Standard plan); false = Free plan, no /api')
param linkApiToWeb bool = true

// ---------------------------------------------------------------------------------------------- bridge

@description('Bridge image pushed by azd (SERVICE_BRIDGE_IMAGE_NAME); empty before the first deploy')
param bridgeImageName string = ''

@description('vCPU of one bridge replica')
param bridgeCpu string = '0.5'

@description('Memory of one bridge replica (2 GiB per vCPU)')
param bridgeMemory string = '1Gi'

@description('Bridge replicas always running (at least 1)')
@minValue(1)
param bridgeMinReplicas int = 1

@description('Most bridge replicas')
@minValue(1)
@maxValue(300)
param bridgeMaxReplicas int = 10

@description('Calls one bridge replica accepts (BRIDGE_MAX_CALLS); /readyz says 503 above it')
@minValue(1)
param bridgeMaxCallsPerReplica int = 50

@description('Calls per replica above which another replica starts (scale rule)')
@minValue(1)
param bridgeScaleAtCalls int = 30

@description('Seconds without media before the bridge ends a call')
param bridgeIdleTimeoutSeconds int = 30

@description('Timeout of one tool call to the function app, seconds')
param bridgeToolTimeoutSeconds int = 8

@description('Seconds the bridge lets live calls finish after SIGTERM')
@minValue(0)
@maxValue(570)
param bridgeDrainSeconds int = 60

@description('How often the bridge flushes call events to the function app, seconds')
param bridgeEventFlushSeconds string = '2'

@description('Bridge log level')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param bridgeLogLevel string = 'INFO'

// ---------------------------------------------------------------------------------------------- names

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var names = {
  apiIdentity: 'id-api-${token}'
  bridgeIdentity: 'id-bridge-${token}'
  logAnalytics: 'log-${token}'
  appInsights: 'appi-${token}'
  storage: 'st${token}'
  deploymentContainer: 'app-package-${token}'
  keyVault: 'kv-${token}'
  registry: 'cr${token}'
  acs: 'acs-${token}'
  systemTopic: 'evgt-acs-${token}'
  plan: 'plan-${token}'
  functionApp: 'func-${token}'
  containerEnv: 'cae-${token}'
  bridge: 'ca-bridge-${token}'
  staticWebApp: 'swa-${token}'
  durableScheduler: 'dts-${token}'
  voiceLive: 'ais-${token}'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------- shared

module apiIdentity 'modules/identity.bicep' = {
  name: 'api-identity'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.apiIdentity
  }
}

module bridgeIdentity 'modules/identity.bicep' = {
  name: 'bridge-identity'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.bridgeIdentity
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.appInsights
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.storage
    deploymentContainerName: names.deploymentContainer
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.registry
  }
}

module communication 'modules/communication.bicep' = if (deployCommunicationServices) {
  name: 'communication'
  scope: rg
  params: {
    tags: tags
    name: names.acs
    systemTopicName: names.systemTopic
    dataLocation: acsDataLocation
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.keyVault
    callTokenSecret: callTokenSecret
    functionAppKey: functionAppKey
    dncHashKey: dncHashKey
    dncHashKeyPrevious: dncHashKeyPrevious
    azureOpenAiApiKey: azureOpenAiApiKey
    voiceLiveApiKey: voiceLiveApiKey
    acsNameForKey: deployCommunicationServices && acsUseAccessKey ? names.acs : ''
    enablePurgeProtection: keyVaultPurgeProtection
  }
  dependsOn: [
    communication
  ]
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  scope: rg
  params: {
    apiPrincipalId: apiIdentity.outputs.principalId
    bridgePrincipalId: bridgeIdentity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    registryName: registry.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    acsName: deployCommunicationServices ? names.acs : ''
  }
  dependsOn: [
    communication
  ]
}

module openAiAccess 'modules/openai-access.bicep' = if (!empty(azureOpenAiResourceName)) {
  name: 'openai-access'
  scope: resourceGroup(empty(azureOpenAiResourceGroup) ? rg.name : azureOpenAiResourceGroup)
  params: {
    accountName: azureOpenAiResourceName
    principalIds: [
      apiIdentity.outputs.principalId
      bridgeIdentity.outputs.principalId
    ]
  }
}

module voiceLive 'modules/voice-live.bicep' = if (deployVoiceLive) {
  name: 'voice-live'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.voiceLive
  }
}

var voiceLiveAccountName = deployVoiceLive ? names.voiceLive : voiceLiveResourceName
var voiceLiveUrl = deployVoiceLive ? 'https://${names.voiceLive}.services.ai.azure.com' : voiceLiveEndpoint

module voiceLiveAccess 'modules/voice-live-access.bicep' = if (!empty(voiceLiveAccountName)) {
  name: 'voice-live-access'
  scope: resourceGroup(deployVoiceLive || empty(voiceLiveResourceGroup) ? rg.name : voiceLiveResourceGroup)
  params: {
    accountName: voiceLiveAccountName
    principalIds: [
      bridgeIdentity.outputs.principalId
    ]
  }
  dependsOn: [
    voiceLive
  ]
}

// ---------------------------------------------------------------------------------------------- web + API

module web 'modules/static-web-app.bicep' = {
  name: 'static-web-app'
  scope: rg
  params: {
    location: staticWebAppLocation
    tags: tags
    name: names.staticWebApp
    sku: linkApiToWeb ? 'Standard' : 'Free'
  }
}

module containerEnvironment 'modules/container-apps-environment.bicep' = {
  name: 'container-apps-environment'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.containerEnv
    logAnalyticsName: monitoring.outputs.logAnalyticsName
  }
}

// The function app's own settings, named exactly as callcenter/config.py reads them (tests/infra checks it).
var apiSettings = {
  AZURE_OPENAI_ENDPOINT: azureOpenAiEndpoint
  AZURE_OPENAI_REALTIME_DEPLOYMENT: azureOpenAiRealtimeDeployment
  AZURE_OPENAI_SUMMARY_DEPLOYMENT: azureOpenAiSummaryDeployment
  REALTIME_SESSION_TTL_SECONDS: string(realtimeSessionTtlSeconds)
  DEFAULT_AGENT: defaultAgent
  ACS_PHONE_NUMBER: acsPhoneNumber
  ACS_OPENID_CONFIG_URL: acsOpenIdConfigUrl
  CALL_TOKEN_TTL_SECONDS: string(callTokenTtlSeconds)
  PHONE_AGENTS: phoneAgents
  AGENT_BACKENDS: agentBackends
  HUMAN_AGENT_TARGET: humanAgentTarget
  HUMAN_AGENT_HOURS: humanAgentHours
  HUMAN_AGENT_TIMEZONE: humanAgentTimezone
  MAX_CALL_SECONDS: string(maxCallSeconds)
  NO_ANSWER_SECONDS: string(noAnswerSeconds)
  RECORDING_ENABLED: recordingEnabled ? 'true' : 'false'
  REDACT_TRANSCRIPTS: redactTranscripts ? 'true' : 'false'
  RETENTION_DAYS: string(retentionDays)
  PRICE_PER_PHONE_MINUTE: pricePerPhoneMinute
  PRICE_PER_1K_INPUT_TOKENS: pricePer1kInputTokens
  PRICE_PER_1K_OUTPUT_TOKENS: pricePer1kOutputTokens
  PRICE_VOICE_LIVE_PER_1K_INPUT_TOKENS: priceVoiceLivePer1kInputTokens
  PRICE_VOICE_LIVE_PER_1K_OUTPUT_TOKENS: priceVoiceLivePer1kOutputTokens
  HTTP_TOOLS_FILE: httpToolsFile
  OPENAPI_TOOLS_FILE: openApiToolsFile
  TOOL_ALLOWED_HOSTS: toolAllowedHosts
  TOOL_HTTP_TIMEOUT_SECONDS: string(toolHttpTimeoutSeconds)
  MAX_BODY_BYTES: string(maxBodyBytes)
  CORS_ALLOWED_ORIGINS: empty(extraCorsOrigins) ? web.outputs.uri : '${web.outputs.uri},${extraCorsOrigins}'
  SESSION_RATE_LIMIT_PER_MINUTE: string(sessionRateLimitPerMinute)
  REQUIRE_SIGNED_IN_USER: requireSignedInUser ? 'true' : 'false'
  API_BASE_URL: apiBaseUrl
  DURABLE_TASK_HUB: durableTaskHub
}

var useDurableTaskScheduler = durableBackend == 'DurableTaskScheduler'

module durableScheduler 'modules/durable-task-scheduler.bicep' = if (useDurableTaskScheduler) {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.durableScheduler
    taskHubName: durableTaskHub
    apiPrincipalId: apiIdentity.outputs.principalId
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    location: location
    tags: tags
    planName: names.plan
    name: names.functionApp
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
    identityId: apiIdentity.outputs.id
    identityClientId: apiIdentity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: names.deploymentContainer
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    settings: apiSettings
    // The bridge's FQDN is known before the bridge exists: <app name>.<environment default domain>.
    bridgePublicUrl: 'wss://${names.bridge}.${containerEnvironment.outputs.defaultDomain}'
    acsEndpoint: deployCommunicationServices ? communication!.outputs.endpoint : ''
    acsResourceId: deployCommunicationServices ? communication!.outputs.immutableResourceId : ''
    callTokenSecretUri: keyVault.outputs.callTokenSecretUri
    dncHashKeySecretUri: keyVault.outputs.dncHashKeySecretUri
    dncHashKeyPreviousSecretUri: keyVault.outputs.dncHashKeyPreviousSecretUri
    azureOpenAiApiKeySecretUri: keyVault.outputs.azureOpenAiApiKeySecretUri
    acsAccessKeySecretUri: keyVault.outputs.acsAccessKeySecretUri
    durableTaskSchedulerEndpoint: useDurableTaskScheduler ? durableScheduler!.outputs.endpoint : ''
  }
  // Storage roles before the host starts, or its first start fails on AzureWebJobsStorage.
  dependsOn: [
    roles
  ]
}

module apiLink 'modules/api-link.bicep' = if (linkApiToWeb) {
  name: 'api-link'
  scope: rg
  params: {
    staticWebAppName: web.outputs.name
    functionAppName: functionApp.outputs.name
    functionAppLocation: location
  }
}

// ---------------------------------------------------------------------------------------------- bridge

// The bridge's own settings, named exactly as bridge/settings.py reads them (tests/infra checks it).
// BRIDGE_HOST, BRIDGE_PORT, BRIDGE_DRAIN_SECONDS, AZURE_CLIENT_ID and the secrets are set in bridge.bicep.
// Read here rather than passed as a module output (outputs are kept in the deployment history). The
// bridge module deploys after the function app, which depends on the monitoring module.
resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: names.appInsights
  scope: rg
}

var bridgeSettings = {
  FUNCTION_APP_URL: functionApp.outputs.uri
  AZURE_OPENAI_ENDPOINT: azureOpenAiEndpoint
  AZURE_OPENAI_REALTIME_DEPLOYMENT: azureOpenAiRealtimeDeployment
  VOICE_LIVE_ENDPOINT: voiceLiveUrl
  VOICE_LIVE_API_VERSION: voiceLiveApiVersion
  BRIDGE_MAX_CALLS: string(bridgeMaxCallsPerReplica)
  // Pages that may open a Voice Live web session on the bridge (/web/realtime): the API's CORS origins.
  BRIDGE_WEB_ALLOWED_ORIGINS: empty(extraCorsOrigins) ? web.outputs.uri : '${web.outputs.uri},${extraCorsOrigins}'
  // New browser sessions per client address per minute (the function app limits grants too).
  BRIDGE_WEB_SESSIONS_PER_MINUTE: '10'
  // Audience and keys of the JWT ACS signs each media handshake with (docs/internal-api.md).
  ACS_RESOURCE_ID: deployCommunicationServices ? communication!.outputs.immutableResourceId : ''
  ACS_OPENID_CONFIG_URL: acsOpenIdConfigUrl
  // A backstop a minute past the call lifecycle's own limit, which ends calls politely.
  BRIDGE_MAX_CALL_SECONDS: string(maxCallSeconds + 60)
  BRIDGE_IDLE_TIMEOUT_SECONDS: string(bridgeIdleTimeoutSeconds)
  BRIDGE_TOOL_TIMEOUT_SECONDS: string(bridgeToolTimeoutSeconds)
  BRIDGE_EVENT_FLUSH_SECONDS: bridgeEventFlushSeconds
  BRIDGE_LOG_LEVEL: bridgeLogLevel
  // The image installs uvloop (bridge/requirements.txt); 'asyncio' is the fallback.
  BRIDGE_EVENT_LOOP: 'uvloop'
  // OpenTelemetry to Application Insights with the bridge's identity (the component refuses keys).
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${bridgeIdentity.outputs.clientId}'
}

module bridge 'modules/bridge.bicep' = {
  name: 'bridge'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.bridge
    environmentId: containerEnvironment.outputs.id
    identityId: bridgeIdentity.outputs.id
    identityClientId: bridgeIdentity.outputs.clientId
    registryLoginServer: registry.outputs.loginServer
    imageName: bridgeImageName
    cpu: bridgeCpu
    memory: bridgeMemory
    minReplicas: bridgeMinReplicas
    maxReplicas: bridgeMaxReplicas
    scaleConcurrentCalls: bridgeScaleAtCalls
    drainSeconds: bridgeDrainSeconds
    settings: bridgeSettings
    callTokenSecretUri: keyVault.outputs.callTokenSecretUri
    functionAppKeySecretUri: keyVault.outputs.functionAppKeySecretUri
    azureOpenAiApiKeySecretUri: keyVault.outputs.azureOpenAiApiKeySecretUri
    voiceLiveApiKeySecretUri: keyVault.outputs.voiceLiveApiKeySecretUri
  }
  // AcrPull and Key Vault Secrets User must exist before the first revision pulls the image and secrets.
  dependsOn: [
    roles
  ]
}

// ---------------------------------------------------------------------------------------------- outputs
// What azd and the hooks need; nothing secret (Key Vault holds the values, these are names and URLs).

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_ENVIRONMENT_NAME string = containerEnvironment.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_KEY_SECRET_NAME string = keyVault.outputs.functionAppKeySecretName
output ACS_NAME string = deployCommunicationServices ? communication!.outputs.name : ''
output ACS_SYSTEM_TOPIC_NAME string = deployCommunicationServices ? communication!.outputs.systemTopicName : ''
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.uri
output SERVICE_BRIDGE_NAME string = bridge.outputs.name
output SERVICE_BRIDGE_URI string = 'wss://${bridge.outputs.fqdn}'
output SERVICE_WEB_NAME string = web.outputs.name
output SERVICE_WEB_URI string = web.outputs.uri
output DURABLE_TASK_SCHEDULER_NAME string = useDurableTaskScheduler ? durableScheduler!.outputs.name : ''
