#!/usr/bin/env bash
# Runs electisSpace Server on this machine with everything it needs, no Azure tooling:
# a project-local PostgreSQL (initdb into .local/ on first run, a free port, stopped on exit),
# the AIMS emulator, migrations, a demo organization with its admin, and the Standalone host.
# Option --azurite: the push queue runs on Azure Storage queues (aims-push, aims-push-poison) in a local Azurite
# (npm install -g azurite) instead of the PostgreSQL outbox, so messages can be watched flowing through real queues.
set -euo pipefail
use_azurite=false
for arg in "$@"; do
  case "$arg" in
    --azurite) use_azurite=true ;;
    *) echo "usage: run-local.sh [--azurite]" >&2; exit 64 ;;
  esac
done
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
local_dir="$root/.local"
mkdir -p "$local_dir"

api_url="${ELECTIS_URL:-http://127.0.0.1:5080}"
aims_url="${ELECTIS_AIMS_URL:-http://127.0.0.1:5081}"
demo_email="admin@demo.local"
demo_password="Demo-Admin-2026"

pg_bin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "PostgreSQL server binaries not found. Install them (Debian: apt-get install -y postgresql) or set PG_BIN." >&2
  exit 1
fi

# initdb and postgres refuse to run as root: as root they run as the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

pg_data="$local_dir/pg"
if [ ! -f "$pg_data/PG_VERSION" ]; then
  echo "First run: creating a local PostgreSQL cluster in .local/pg"
  mkdir -p "$pg_data"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$local_dir"
  as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 >/dev/null
fi
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$local_dir"
pg_port=$(free_port 55432)
as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$local_dir/postgres.log" -w -o "-p $pg_port -h 127.0.0.1 -k $local_dir" start >/dev/null

children=()
cleanup() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

psql_cmd=(psql -h 127.0.0.1 -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 -qtA)
if [ "$("${psql_cmd[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'electisspace'")" != "1" ]; then
  "${psql_cmd[@]}" -d postgres -c "CREATE DATABASE electisspace" >/dev/null
fi

# Secrets are generated once per checkout and kept in .local/ (ignored by git): no defaults are baked into code.
[ -f "$local_dir/jwt.key" ] || head -c 48 /dev/urandom | base64 -w0 > "$local_dir/jwt.key"
[ -f "$local_dir/settings.key" ] || head -c 32 /dev/urandom | base64 -w0 > "$local_dir/settings.key"

export Database__ConnectionString="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=electisspace"
export Jwt__SigningKey="$(cat "$local_dir/jwt.key")"
export Security__SettingsEncryptionKey="$(cat "$local_dir/settings.key")"
export Aims__DefaultBaseUrl="$aims_url"
export Api__ReferencePageEnabled=true
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"

# Build quietly, but on failure show the compiler's errors and stop (a silent exit hides what to fix).
build() {
  local out
  if ! out=$(dotnet build "$1" -v q -nologo 2>&1); then
    echo "$out" | grep -E "error|Error" >&2 || echo "$out" >&2
    echo "Build of $1 failed; fix the errors above and run again." >&2
    exit 1
  fi
}

queue_line="PostgreSQL outbox (Queue:Provider=Postgres)"
if [ "$use_azurite" = true ]; then
  command -v azurite-queue >/dev/null || { echo "azurite-queue not found: npm install -g azurite" >&2; exit 1; }
  azurite_port=$(free_port 10001)
  mkdir -p "$local_dir/azurite"
  azurite-queue --queueHost 127.0.0.1 --queuePort "$azurite_port" --location "$local_dir/azurite" --silent --skipApiVersionCheck --disableTelemetry \
    >"$local_dir/azurite.log" 2>&1 &
  children+=($!)
  export Queue__Provider=AzureStorage
  export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:$azurite_port/devstoreaccount1;"
  queue_line="Azurite queues aims-push / aims-push-poison on 127.0.0.1:$azurite_port (data in .local/azurite)"
fi

echo "Building..."
build functions/ElectisSpace.Standalone
# The AIMS emulator (tests/ElectisSpace.AimsEmulator) with its default seed: company DEMO, store 001, 20 labels.
# To use a real AIMS instead: ELECTIS_AIMS_URL=https://eu.common.solumesl.com and set-aims with real credentials.
aims_company="DEMO"; aims_store="001"; aims_user="aims@demo.local"; aims_password="Demo-Aims-2026"
if [ -z "${ELECTIS_AIMS_URL:-}" ]; then
  build tests/ElectisSpace.AimsEmulator
  dotnet run --no-build --project tests/ElectisSpace.AimsEmulator -- --urls "$aims_url" \
    --company "$aims_company" --store "$aims_store" --username "$aims_user" --password "$aims_password" >"$local_dir/aims-emulator.log" 2>&1 &
  children+=($!)
  aims_line="$aims_url (emulator; company $aims_company, store $aims_store, log .local/aims-emulator.log)"
else
  aims_line="$aims_url"
fi

# Passwords go through the environment, not the command line (visible in ps).
seed_out=$(ELECTIS_ADMIN_PASSWORD="$demo_password" dotnet run --no-build --project functions/ElectisSpace.Standalone -- seed-admin \
  --org "Demo Office" --code DEMO --email "$demo_email" 2>&1) || {
  case "$seed_out" in *"already exists"*) ;; *) echo "$seed_out" >&2; exit 1 ;; esac
}
if [ -z "${ELECTIS_AIMS_URL:-}" ]; then
  ELECTIS_AIMS_PASSWORD="$aims_password" dotnet run --no-build --project functions/ElectisSpace.Standalone -- set-aims --org DEMO \
    --company "$aims_company" --store "$aims_store" --username "$aims_user" >/dev/null
fi

cat <<MSG

electisSpace Server
  API:              $api_url/api   (health: $api_url/api/health)
  API reference:    $api_url/scalar   OpenAPI: $api_url/openapi/v1.json
  AIMS emulator:    $aims_line
  PostgreSQL:       127.0.0.1:$pg_port (database electisspace, data in .local/pg)
  Push queue:       $queue_line
  Demo admin:       $demo_email / $demo_password   (organization DEMO)
Press Ctrl+C to stop everything.

MSG
dotnet run --no-build --project functions/ElectisSpace.Standalone -- --urls "$api_url" &
children+=($!)
wait "${children[-1]}"
