#!/usr/bin/env bash
# Runs a Standalone command (migrate, app-login, seed-admin, set-aims, ...) against the deployed PostgreSQL database:
#   infra/scripts/with-azure-db.sh migrate
#   infra/scripts/with-azure-db.sh app-login        # the app's own login (below)
#   infra/scripts/with-azure-db.sh seed-admin --org "Acme" --email admin@acme.example --password '...'
# Used by azd's predeploy hook (migrations and the app's login before the new code is deployed). Values come, in this order, from the
# environment, from the current azd environment, from the outputs of the `az deployment group create` named
# $DEPLOYMENT_NAME (default electisspace) in $AZURE_RESOURCE_GROUP, and secrets from Key Vault (needs Key Vault
# Secrets User: deploy with principalId set to your object ID).
# The server must accept this machine: put your address in postgresFirewallRules, or set MIGRATE_CLIENT_IP=<your
# public IP> and this script opens a temporary firewall rule for it and removes it on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
[ $# -ge 1 ] || { echo "usage: $0 <standalone command> [args...]" >&2; exit 2; }

if [ -z "${POSTGRES_HOST:-}" ] && command -v azd >/dev/null 2>&1 && azd env get-values >/dev/null 2>&1; then
  eval "$(azd env get-values)"
fi
output() { # NAME: a deployment output of the az CLI path
  az deployment group show -g "${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP}" -n "${DEPLOYMENT_NAME:-electisspace}" \
    --query "properties.outputs.$1.value" -o tsv
}
for name in POSTGRES_HOST POSTGRES_DATABASE POSTGRES_ADMIN_LOGIN POSTGRES_SERVER_NAME AZURE_KEY_VAULT_NAME AZURE_RESOURCE_GROUP; do
  if [ -z "${!name:-}" ]; then printf -v "$name" '%s' "$(output "$name")"; fi
done
secret() { # ENV_NAME SECRET_NAME: from the environment, else from Key Vault
  if [ -z "${!1:-}" ]; then
    printf -v "$1" '%s' "$(az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name "$2" --query value -o tsv)"
  fi
}
secret POSTGRES_ADMIN_PASSWORD postgres-admin-password
secret JWT_SIGNING_KEY jwt-signing-key
secret SETTINGS_ENCRYPTION_KEY settings-encryption-key
for name in POSTGRES_HOST POSTGRES_DATABASE POSTGRES_ADMIN_LOGIN POSTGRES_ADMIN_PASSWORD JWT_SIGNING_KEY SETTINGS_ENCRYPTION_KEY; do
  [ -n "${!name:-}" ] || { echo "with-azure-db: $name is unknown (azd environment, deployment outputs or Key Vault)" >&2; exit 1; }
done

if [ -n "${MIGRATE_CLIENT_IP:-}" ]; then
  rule="deploy-$(date +%s)"
  az postgres flexible-server firewall-rule create -g "$AZURE_RESOURCE_GROUP" --name "$POSTGRES_SERVER_NAME" \
    --rule-name "$rule" --start-ip-address "$MIGRATE_CLIENT_IP" --end-ip-address "$MIGRATE_CLIENT_IP" -o none
  trap 'az postgres flexible-server firewall-rule delete -g "$AZURE_RESOURCE_GROUP" --name "$POSTGRES_SERVER_NAME" --rule-name "$rule" --yes -o none' EXIT
fi

connect() { # USER PASSWORD: the database connection of the command
  export Database__ConnectionString="Host=$POSTGRES_HOST;Port=5432;Database=$POSTGRES_DATABASE;Username=$1;Password=$2;SSL Mode=VerifyFull"
}
run() { echo "with-azure-db: $1 against $POSTGRES_HOST/$POSTGRES_DATABASE"; dotnet run --project functions/ElectisSpace.Standalone -- "$@"; }
# Commands connect as the administrator (it owns the schema and runs migrations); the app never does (keyvault.bicep).
connect "$POSTGRES_ADMIN_LOGIN" "$POSTGRES_ADMIN_PASSWORD"
export Jwt__SigningKey="$JWT_SIGNING_KEY"
export Security__SettingsEncryptionKey="$SETTINGS_ENCRYPTION_KEY"

# `app-login` alone: the app's least-privilege login of this deployment (outputs POSTGRES_APP_AUTH, POSTGRES_APP_LOGIN).
# Password: made by the administrator with the password Key Vault keeps. Entra: the Function App's managed identity,
# made as a principal by the server's Entra administrator (you: AZURE_PRINCIPAL_NAME, signing in with your Entra token),
# then made a member of the app's role by the administrator. docs/adr/0005-connection-budget-and-least-privilege.md.
if [ "$1" = app-login ] && [ $# -eq 1 ]; then
  for name in POSTGRES_APP_AUTH POSTGRES_APP_LOGIN; do
    if [ -z "${!name:-}" ]; then printf -v "$name" '%s' "$(output "$name")"; fi
  done
  if [ "$POSTGRES_APP_AUTH" = Entra ]; then
    [ -n "${AZURE_FUNCTION_APP_PRINCIPAL_ID:-}" ] || AZURE_FUNCTION_APP_PRINCIPAL_ID="$(output AZURE_FUNCTION_APP_PRINCIPAL_ID)"
    connect "${AZURE_PRINCIPAL_NAME:?set AZURE_PRINCIPAL_NAME: the Entra administrator of the server (you)}" \
      "$(az account get-access-token --resource-type oss-rdbms --query accessToken -o tsv)"
    run app-login --login "$POSTGRES_APP_LOGIN" --entra-object-id "$AZURE_FUNCTION_APP_PRINCIPAL_ID"
    connect "$POSTGRES_ADMIN_LOGIN" "$POSTGRES_ADMIN_PASSWORD"
    run app-login --login "$POSTGRES_APP_LOGIN"
  else
    secret POSTGRES_APP_PASSWORD postgres-app-password
    export ELECTIS_APP_DB_PASSWORD="$POSTGRES_APP_PASSWORD"   # not on the command line (ps)
    run app-login --login "$POSTGRES_APP_LOGIN"
  fi
  exit 0
fi
run "$@"
