#!/usr/bin/env bash
# Runs every MedLedger test: unit, storage (real SQLite files), node API (real Kestrel), and the multi-process
# end-to-end tests that drive the real `medledger` binary. Installs what the tests need first.
# Usage: ./scripts/test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET SDK 10 is required (https://dot.net)." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet restore MedLedger.slnx
dotnet build MedLedger.slnx -c Release --no-restore
dotnet test MedLedger.slnx -c Release --no-build --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@"
