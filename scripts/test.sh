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

# The web UI's browser tests drive Debian's Chromium through Playwright (docs/web.md).
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing Debian's chromium for the browser tests"
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
  else
    echo "test.sh: the browser tests need Chromium at /usr/bin/chromium (Debian: apt-get install chromium); they will fail without it." >&2
  fi
fi

dotnet restore MedLedger.slnx
dotnet build MedLedger.slnx -c Release --no-restore
dotnet test MedLedger.slnx -c Release --no-build --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@"
