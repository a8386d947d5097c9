#!/usr/bin/env bash
# Hangfire on PostgreSQL, the comparison point of issue 18: starts a throwaway PostgreSQL exactly as scripts/test.sh
# does (initdb as the postgres user, pg_ctl on a free loopback port, stopped and deleted on exit, also on failure or
# Ctrl+C), builds bench/Baton.Bench.Hangfire in Release and runs it against that cluster. Extra arguments pass
# through (e.g. --clients 32 --duration 15 --warmup 5 --workers 20 --queue-poll-ms 100 --long-polling); the last
# line printed is the bench's JSON line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/lib/throwaway-postgres.sh
source scripts/lib/throwaway-postgres.sh
trap throwaway_postgres_stop EXIT

command -v dotnet >/dev/null 2>&1 || { echo "bench-hangfire.sh: the .NET SDK 10 (dotnet) is required" >&2; exit 1; }
apt_updated=0
if ! command -v python3 >/dev/null 2>&1; then
  apt-get update -q >/dev/null; apt_updated=1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 >/dev/null
fi
throwaway_postgres_install

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "== build Baton.Bench.Hangfire (Release)" >&2
dotnet build bench/Baton.Bench.Hangfire/Baton.Bench.Hangfire.csproj -c Release -nologo -clp:ErrorsOnly >&2

throwaway_postgres_start
echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (throwaway)" >&2

dotnet bench/Baton.Bench.Hangfire/bin/Release/net10.0/Baton.Bench.Hangfire.dll \
  --postgres "$pg_connection" "$@"
