# azd postdeploy hook (PowerShell 7): the same steps as postdeploy.sh, for Windows.
#  1. Registers the bridge's function key (Key Vault secret -> function app host key "bridge"); the value goes
#     through a private temporary file, never a command line or the output.
#  2. Subscribes the Event Grid trigger `incoming_call` to ACS IncomingCall events (AzureFunction endpoint).
# Needs the Azure CLI, signed in to the same tenant as azd (`az login`). Safe to run again.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'AZURE_KEY_VAULT_NAME', 'FUNCTION_APP_KEY_SECRET_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) { throw "postdeploy: missing $name; run through azd (azd up / azd deploy)" }
}
$rg = $env:AZURE_RESOURCE_GROUP
$app = $env:AZURE_FUNCTION_APP_NAME
$vault = $env:AZURE_KEY_VAULT_NAME
$secretName = $env:FUNCTION_APP_KEY_SECRET_NAME
$topic = $env:ACS_SYSTEM_TOPIC_NAME
$attempts = 20
$pause = 15

function Log([string]$message) { Write-Host "postdeploy: $message" }

if (-not (Get-Command az -ErrorAction SilentlyContinue)) { throw 'postdeploy: the Azure CLI (az) is required: https://aka.ms/azure-cli' }
az account show -o none 2>$null
if ($LASTEXITCODE -ne 0) { throw "postdeploy: run 'az login' (same tenant as azd) and then 'azd hooks run postdeploy'" }

# ---- 1. the bridge's function key ----
$key = $null
for ($i = 1; $i -le $attempts; $i++) {
    $key = az keyvault secret show --vault-name $vault --name $secretName --query value -o tsv 2>$null
    if ($LASTEXITCODE -eq 0 -and $key) { break }
    $key = $null
    Log "waiting for read access to Key Vault $vault (new role assignments take minutes) [$i/$attempts]"
    Start-Sleep -Seconds $pause
}
if (-not $key) { throw "postdeploy: cannot read $secretName from ${vault}: your account needs Key Vault Secrets User on it" }

$body = New-TemporaryFile
try {
    @{ properties = @{ name = 'bridge'; value = $key } } | ConvertTo-Json -Compress | Set-Content -Path $body -NoNewline
    $key = $null
    $url = "https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/$rg/providers/Microsoft.Web/sites/$app/host/default/functionKeys/bridge?api-version=2024-04-01"
    for ($i = 1; $i -le $attempts; $i++) {
        az rest --method put --url $url --body "@$body" -o none 2>$null
        if ($LASTEXITCODE -eq 0) { break }
        if ($i -eq $attempts) { throw "postdeploy: could not set host key 'bridge' on $app (is the function host running?)" }
        Log "function host not ready for key updates yet [$i/$attempts]"
        Start-Sleep -Seconds $pause
    }
}
finally {
    Remove-Item -Path $body -Force -ErrorAction SilentlyContinue
}
Log "host key 'bridge' registered on $app"

# ---- 2. IncomingCall -> incoming_call ----
if (-not $topic) {
    Log 'Communication Services not deployed: no IncomingCall subscription'
    exit 0
}
$found = $false
for ($i = 1; $i -le $attempts; $i++) {
    az functionapp function show -g $rg -n $app --function-name incoming_call -o none 2>$null
    if ($LASTEXITCODE -eq 0) { $found = $true; break }
    Log "waiting for the function app to list incoming_call [$i/$attempts]"
    Start-Sleep -Seconds $pause
}
if (-not $found) {
    Log "function incoming_call not found in ${app}: IncomingCall subscription skipped (deploy the phone code, then 'azd deploy api')"
    exit 0
}
$template = Join-Path $PSScriptRoot '..' 'modules' 'incoming-call-subscription.bicep'
az deployment group create -g $rg --name incoming-call-subscription --template-file $template `
    --parameters "systemTopicName=$topic" "functionAppName=$app" -o none
if ($LASTEXITCODE -ne 0) { throw 'postdeploy: creating the IncomingCall subscription failed' }
Log "IncomingCall events from $topic now go to $app/incoming_call"
