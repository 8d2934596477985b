#!/usr/bin/env bash
# Type-checks infra/ offline with the Bicep CLI restored from NuGet (Azure.Bicep.CommandLine.linux-x64, pinned in
# bicep-cli.csproj): `bicep build` and `bicep lint` of every .bicep file, `bicep build-params` of every .bicepparam.
# Bicep exits 0 on warnings, so any printed "Warning" or "Error" fails (BCP037 unknown property, BCP081 unknown API
# version, BCP035 missing property..., and the security rules bicepconfig.json raises to error).
set -uo pipefail
cd "$(dirname "$0")/../.."

dotnet restore .ci/bicep/bicep-cli.csproj --locked-mode -v q >/dev/null || { echo "bicep: restoring the Bicep CLI package failed"; exit 1; }
version=$(sed -nE 's/.*Azure\.Bicep\.CommandLine\.linux-x64" Version="\[([0-9.]+)\]".*/\1/p' .ci/bicep/bicep-cli.csproj)
packages=$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: //')
bicep="${packages%/}/azure.bicep.commandline.linux-x64/$version/tools/bicep"
[ -f "$bicep" ] || { echo "bicep: $bicep not found after restore"; exit 1; }
chmod u+x "$bicep"
"$bicep" --version

# The parameter files read their secrets from the environment: throwaway values of the right shape.
export POSTGRES_ADMIN_PASSWORD="ci-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
export POSTGRES_APP_PASSWORD="ci-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
export JWT_SIGNING_KEY="$(head -c 48 /dev/urandom | base64 -w0)"
export SETTINGS_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64 -w0)"

out=$(mktemp -d)
log="$out/bicep.log"
status=0
# Building (and linting) main.bicep compiles every module it references and reports their diagnostics too; a
# .bicep file main.bicep doesn't reference is checked on its own.
targets=(infra/main.bicep)
for f in infra/app/*.bicep; do grep -q "'app/$(basename "$f")'" infra/main.bicep || targets+=("$f"); done
for f in "${targets[@]}"; do
  "$bicep" build "$f" --outfile "$out/$(basename "$f" .bicep).json" >>"$log" 2>&1 || status=1
  "$bicep" lint "$f" >>"$log" 2>&1 || status=1
done
for f in infra/*.bicepparam; do
  # --stdout would print the throwaway secrets: write to the temp folder instead.
  "$bicep" build-params "$f" --outfile "$out/$(basename "$f").json" >>"$log" 2>&1 || status=1
done
if grep -qE "Warning|Error" "$log"; then status=1; fi
sort -u "$log"
files=$(ls infra/*.bicep infra/app/*.bicep infra/*.bicepparam | wc -l)
if [ "$status" -eq 0 ]; then echo "bicep: OK ($files files build and lint with no warning)"; else echo "bicep: FAILED"; fi
rm -rf "$out"
exit "$status"
