// Links the function app as the /api backend of the Static Web App ("bring your own functions"): SWA
// proxies /api/* to it and forwards the signed-in user (x-ms-client-principal).
//
// Linking makes the function app exclusive to SWA *unless* App Service authentication is already configured
// on it, and the function app must stay reachable for ACS callbacks, Event Grid and the bridge. So the auth
// settings below (platform on, anonymous allowed; function keys still guard function-level endpoints) are
// written first and the link second, on every provision.

@description('Static web app (Standard plan)')
param staticWebAppName string

@description('Function app to link')
param functionAppName string

@description('Region of the function app')
param functionAppLocation string

resource swa 'Microsoft.Web/staticSites@2023-12-01' existing = {
  name: staticWebAppName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource functionAuth 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_66: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_63: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_222: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_80: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_13: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_88: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  // checkov:skip=CKV_AZURE_65: a Microsoft.Web/sites check that checkov applies to this sites/config child, which has no such property
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

resource backend 'Microsoft.Web/staticSites/linkedBackends@2023-12-01' = {
  parent: swa
  name: 'api'
  properties: {
    backendResourceId: functionApp.id
    region: functionAppLocation
  }
  dependsOn: [
    functionAuth
  ]
}

output backendName string = backend.name
