#!/bin/sh
# azd preprovision hook: makes this azd environment's secrets once (PostgreSQL admin and app-login passwords, JWT
# signing key, settings-encryption key) and keeps them in the environment (.azure/<env>/.env, ignored by git). Provisioning
# writes them to Key Vault; changing one here and running `azd provision` again rotates it (docs/deploy.md, "Rotating keys").
set -eu

make_secret() { # NAME VALUE: only when the environment has no value yet
  if [ -z "$(eval "printf '%s' \"\${$1:-}\"")" ]; then
    azd env set "$1" "$2" >/dev/null
    echo "preprovision: generated $1"
  fi
}

rand() { openssl rand -base64 "$1" | tr -d '\n'; }

# PostgreSQL wants three of: upper, lower, digit, symbol; "Pg1-" guarantees all four. No ';' or quotes (connection string).
make_secret POSTGRES_ADMIN_PASSWORD "Pg1-$(rand 24 | tr -d '/+=')"
make_secret POSTGRES_APP_PASSWORD "Pg1-$(rand 24 | tr -d '/+=')"
make_secret JWT_SIGNING_KEY "$(rand 48)"
make_secret SETTINGS_ENCRYPTION_KEY "$(rand 32)"
