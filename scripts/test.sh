#!/usr/bin/env bash
# Runs every test project the way CI does and ends with one line:
#   tests: N passed, N failed, N skipped
# Installs what the tests need when it is missing (apt packages), builds with warnings as errors, then runs the
# test projects one after another (the machine has 2 cores; end-to-end tests start real server processes).
set -euo pipefail
cd "$(dirname "$0")/.."

configuration="${CONFIGURATION:-Release}"
results="$(mktemp -d -t baton-test-XXXXXX)"
# shellcheck source=scripts/lib/throwaway-postgres.sh
source scripts/lib/throwaway-postgres.sh
cleanup() {
  throwaway_postgres_stop
  rm -rf "$results"
}
trap cleanup EXIT

# --- what the tests need -------------------------------------------------------------------------------------
apt_updated=0
need_apt() { # need_apt <command> <package>: installs the Debian package when the command is missing
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$apt_updated" = 0 ]; then apt-get update -q >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
}
command -v dotnet >/dev/null 2>&1 || { echo "scripts/test.sh: the .NET SDK 10 (dotnet) is required" >&2; exit 1; }
need_apt python3 python3
need_apt jq jq   # Baton.Jq.Tests compares Baton.Jq with Debian's jq 1.6
need_apt chromium chromium   # Baton.Console.Tests drives Debian's Chromium with Playwright (no browser download)

# A throwaway PostgreSQL for the PostgreSQL tests (scripts/lib/throwaway-postgres.sh), stopped by the EXIT trap.
throwaway_postgres_install
throwaway_postgres_start
export BATON_TEST_POSTGRES="$pg_connection"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- build ---------------------------------------------------------------------------------------------------
echo "== build ($configuration)"
dotnet build Baton.slnx -c "$configuration" -nologo -clp:ErrorsOnly

echo "== format"
status=0
if ! format_report="$(dotnet format Baton.slnx --verify-no-changes --severity warn --no-restore 2>&1)"; then
  # The first findings name the file, line and rule, so a red CI says what to fix without a rerun.
  printf '%s\n' "$format_report" | head -n 20 >&2
  echo "scripts/test.sh: the code is not formatted; run: dotnet format Baton.slnx --severity warn" >&2
  status=1
fi

# --- test ----------------------------------------------------------------------------------------------------
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  echo "== $name"
  if ! dotnet test "$project" -c "$configuration" --no-build -nologo \
      --logger "trx;LogFileName=$name.trx" --results-directory "$results" -- RunConfiguration.TestSessionTimeout=1500000; then
    status=1
  fi
  [ -f "$results/$name.trx" ] || { echo "$name: no results were written (the test host crashed?)" >&2; status=1; }
done

# --- one closing line, summed over the TRX files ---------------------------------------------------------------
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns).attrib
    passed += int(c.get("passed", 0))
    failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit "$status"
