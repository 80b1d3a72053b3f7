// Key Vault (RBAC authorization) holding every secret the apps need. Values go in here and nowhere else: the
// function app reads them through Key Vault references, the bridge through Container Apps Key Vault secrets,
// both with their own managed identity (Key Vault Secrets User). Outputs are secret *URIs*, never values.

@description('Region of the vault')
param location string

@description('Tags applied to the vault')
param tags object

@description('Vault name (3-24 characters)')
param name string

@secure()
@description('Shared secret that signs per-call media and callback tokens (function app and bridge)')
param callTokenSecret string

@secure()
@description('Function key the bridge presents to the function app; the postdeploy hook registers it as host key "bridge"')
param functionAppKey string

@secure()
@description('Key of the do-not-call list\'s HMAC row keys (function app only)')
param dncHashKey string

@secure()
@description('The do-not-call hash key a rotation replaced; empty = none (no secret stored)')
param dncHashKeyPrevious string = ''

@secure()
@description('Azure OpenAI key; empty = the apps use their managed identity (no secret stored)')
param azureOpenAiApiKey string = ''

@description('Name of the Communication Services resource whose key is stored; empty = Entra ID for ACS (no key)')
param acsNameForKey string = ''

@description('Purge protection: keep on for production (a purged vault name cannot be reused for 90 days)')
param enablePurgeProtection bool = false

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: the function app's Key Vault references, the bridge and the postdeploy hook reach the vault without a VNet; RBAC only
  // checkov:skip=CKV_AZURE_189: same as CKV_AZURE_109: no VNet in this template, access is by Entra role only
  // checkov:skip=CKV_AZURE_110: purge protection is the enablePurgeProtection parameter, off by default so azd down --purge can remove a trial
  // checkov:skip=CKV_AZURE_42: soft delete is on; purge protection follows enablePurgeProtection (see CKV_AZURE_110)
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // ARM rejects `false` once purge protection is on, so send null (not set) instead of false.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource callTokenSecretEntry 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: generated at provision time and read through Key Vault references; an expiry would stop the app, rotation is a redeploy
  parent: vault
  name: 'call-token-secret'
  properties: {
    value: callTokenSecret
    contentType: 'text/plain'
  }
}

resource functionAppKeyEntry 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: generated at provision time and read through Key Vault references; an expiry would stop the app, rotation is a redeploy
  parent: vault
  name: 'function-app-key'
  properties: {
    value: functionAppKey
    contentType: 'text/plain'
  }
}

resource dncHashKeyEntry 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: an expiry would hide every do-not-call row; rotation keeps the old key as dnc-hash-key-previous (docs/do-not-call.md)
  parent: vault
  name: 'dnc-hash-key'
  properties: {
    value: dncHashKey
    contentType: 'text/plain'
  }
}

resource dncHashKeyPreviousEntry 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(dncHashKeyPrevious)) {
  // checkov:skip=CKV_AZURE_41: kept until no do-not-call row is keyed by it; an expiry would hide those rows
  // checkov:skip=CKV_AZURE_114: contentType is set below; checkov does not look inside a conditional resource's body
  parent: vault
  name: 'dnc-hash-key-previous'
  properties: {
    value: dncHashKeyPrevious
    contentType: 'text/plain'
  }
}

resource openAiKeyEntry 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(azureOpenAiApiKey)) {
  // checkov:skip=CKV_AZURE_41: an Azure service key mirrored for Key Vault references; it rotates with the service's key, an expiry would stop the app
  // checkov:skip=CKV_AZURE_114: contentType is set below; checkov does not look inside a conditional resource's body
  parent: vault
  name: 'azure-openai-api-key'
  properties: {
    value: azureOpenAiApiKey
    contentType: 'text/plain'
  }
}

resource acs 'Microsoft.Communication/communicationServices@2023-03-31' existing = if (!empty(acsNameForKey)) {
  name: empty(acsNameForKey) ? 'unused' : acsNameForKey
}

resource acsKeyEntry 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(acsNameForKey)) {
  // checkov:skip=CKV_AZURE_41: an Azure service key mirrored for Key Vault references; it rotates with the service's key, an expiry would stop the app
  // checkov:skip=CKV_AZURE_114: contentType is set below; checkov does not look inside a conditional resource's body
  parent: vault
  name: 'acs-access-key'
  properties: {
    value: acs.listKeys().primaryKey
    contentType: 'text/plain'
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
// Versionless URIs: a rotated secret is picked up without redeploying (function app: within 24 h or on
// restart; Container Apps: within 30 min or on a new revision).
output callTokenSecretUri string = callTokenSecretEntry.properties.secretUri
output functionAppKeySecretUri string = functionAppKeyEntry.properties.secretUri
output functionAppKeySecretName string = functionAppKeyEntry.name
output dncHashKeySecretUri string = dncHashKeyEntry.properties.secretUri
output dncHashKeyPreviousSecretUri string = empty(dncHashKeyPrevious) ? '' : dncHashKeyPreviousEntry!.properties.secretUri
output azureOpenAiApiKeySecretUri string = empty(azureOpenAiApiKey) ? '' : openAiKeyEntry!.properties.secretUri
output acsAccessKeySecretUri string = empty(acsNameForKey) ? '' : acsKeyEntry!.properties.secretUri
