#!/bin/sh
# azd postdeploy hook (POSIX sh): runs after `azd deploy` / `azd up` has published the code.
#  1. Registers the bridge's function key: the value azd generated lives in Key Vault only; it is set as the
#     function app host key "bridge" (the bridge reads the same secret through its Key Vault reference).
#     The value travels in a private temporary file, never on a command line or in the output.
#  2. Subscribes the Event Grid trigger `incoming_call` to ACS IncomingCall events (AzureFunction endpoint:
#     no system key involved). Event Grid checks the function exists, hence after deploy.
# Needs the Azure CLI, signed in to the same tenant as azd (`az login`). Safe to run again.
set -eu

: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy)}"
: "${AZURE_FUNCTION_APP_NAME:?missing azd output AZURE_FUNCTION_APP_NAME}"
: "${AZURE_KEY_VAULT_NAME:?missing azd output AZURE_KEY_VAULT_NAME}"
: "${FUNCTION_APP_KEY_SECRET_NAME:?missing azd output FUNCTION_APP_KEY_SECRET_NAME}"
ACS_SYSTEM_TOPIC_NAME="${ACS_SYSTEM_TOPIC_NAME:-}"
HERE=$(cd "$(dirname "$0")" && pwd)
ATTEMPTS=20
PAUSE=15

log() { echo "postdeploy: $*"; }
fail() { echo "postdeploy: $*" >&2; exit 1; }

command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is required: https://aka.ms/azure-cli"
az account show -o none 2>/dev/null || fail "run 'az login' (same tenant as azd) and then 'azd hooks run postdeploy'"

# ---- 1. the bridge's function key ----------------------------------------------------------------------
umask 077
body=$(mktemp)
trap 'rm -f "$body"' EXIT INT TERM

key=""
i=0
while [ "$i" -lt "$ATTEMPTS" ]; do
  if key=$(az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name "$FUNCTION_APP_KEY_SECRET_NAME" \
      --query value -o tsv 2>/dev/null) && [ -n "$key" ]; then
    break
  fi
  i=$((i + 1))
  log "waiting for read access to Key Vault $AZURE_KEY_VAULT_NAME (new role assignments take minutes) [$i/$ATTEMPTS]"
  sleep "$PAUSE"
done
[ -n "$key" ] || fail "cannot read $FUNCTION_APP_KEY_SECRET_NAME from $AZURE_KEY_VAULT_NAME: your account needs Key Vault Secrets User on it (azd grants it to AZURE_PRINCIPAL_ID)"
printf '{"properties":{"name":"bridge","value":"%s"}}' "$key" >"$body"
key=""

url="https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/$AZURE_RESOURCE_GROUP/providers/Microsoft.Web/sites/$AZURE_FUNCTION_APP_NAME/host/default/functionKeys/bridge?api-version=2024-04-01"
i=0
until az rest --method put --url "$url" --body "@$body" -o none 2>/dev/null; do
  i=$((i + 1))
  [ "$i" -lt "$ATTEMPTS" ] || fail "could not set host key 'bridge' on $AZURE_FUNCTION_APP_NAME (is the function host running?)"
  log "function host not ready for key updates yet [$i/$ATTEMPTS]"
  sleep "$PAUSE"
done
rm -f "$body"
log "host key 'bridge' registered on $AZURE_FUNCTION_APP_NAME"

# ---- 2. IncomingCall -> incoming_call --------------------------------------------------------------------
if [ -z "$ACS_SYSTEM_TOPIC_NAME" ]; then
  log "Communication Services not deployed: no IncomingCall subscription"
  exit 0
fi

found=""
i=0
while [ "$i" -lt "$ATTEMPTS" ]; do
  if az functionapp function show -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
      --function-name incoming_call -o none 2>/dev/null; then
    found=yes
    break
  fi
  i=$((i + 1))
  log "waiting for the function app to list incoming_call [$i/$ATTEMPTS]"
  sleep "$PAUSE"
done
if [ -z "$found" ]; then
  log "function incoming_call not found in $AZURE_FUNCTION_APP_NAME: IncomingCall subscription skipped (deploy the phone code, then 'azd deploy api')"
  exit 0
fi

az deployment group create -g "$AZURE_RESOURCE_GROUP" --name incoming-call-subscription \
  --template-file "$HERE/../modules/incoming-call-subscription.bicep" \
  --parameters systemTopicName="$ACS_SYSTEM_TOPIC_NAME" functionAppName="$AZURE_FUNCTION_APP_NAME" -o none
log "IncomingCall events from $ACS_SYSTEM_TOPIC_NAME now go to $AZURE_FUNCTION_APP_NAME/incoming_call"
