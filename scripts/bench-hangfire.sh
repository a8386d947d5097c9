#!/usr/bin/env bash
# Hangfire on PostgreSQL, the comparison point of issue 18: starts a throwaway PostgreSQL exactly as scripts/test.sh
# does (initdb as the postgres user, pg_ctl on a free loopback port, stopped and deleted on exit, also on failure or
# Ctrl+C), builds bench/Baton.Bench.Hangfire in Release and runs it against that cluster. Extra arguments pass
# through (e.g. --clients 32 --duration 15 --warmup 5 --workers 20 --queue-poll-ms 100 --long-polling); the last
# line printed is the bench's JSON line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pg_dir=""
cleanup() {
  if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  fi
  [ -n "$pg_dir" ] && rm -rf "$pg_dir"
  return 0
}
trap cleanup EXIT

command -v dotnet >/dev/null 2>&1 || { echo "bench-hangfire.sh: the .NET SDK 10 (dotnet) is required" >&2; exit 1; }
apt_updated=0
if ! command -v python3 >/dev/null 2>&1; then
  apt-get update -q >/dev/null; apt_updated=1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 >/dev/null
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$apt_updated" = 0 ]; then apt-get update -q >/dev/null; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "== build Baton.Bench.Hangfire (Release)" >&2
dotnet build bench/Baton.Bench.Hangfire/Baton.Bench.Hangfire.csproj -c Release -nologo -clp:ErrorsOnly >&2

# It refuses to run as root, so it runs as the postgres user (the Debian package creates it).
pg_bin="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
pg_dir="$(mktemp -d -t baton-pg-XXXXXX)"
chown postgres "$pg_dir"
pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U baton >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" >/dev/null
echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (throwaway)" >&2

dotnet bench/Baton.Bench.Hangfire/bin/Release/net10.0/Baton.Bench.Hangfire.dll \
  --postgres "Host=127.0.0.1;Port=$pg_port;Username=baton;Database=postgres" "$@"
