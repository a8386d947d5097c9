#!/usr/bin/env bash
# Engine benchmark: builds Baton.Server and the load generator in Release, starts the server on a
# fresh temporary data folder, waits until it is ready, runs bench/Baton.Bench.Load against it
# (extra arguments pass through, e.g. --clients 64 --duration 20 --json out.json --secret-headers 3),
# then stops the server and removes the folder, also on failure or Ctrl+C.
#   BATON_BENCH_PORT   server port (default: a free one picked by python3, else 18080; must be free)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

pick_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080
}
port="${BATON_BENCH_PORT:-$(pick_port)}"
server_url="http://127.0.0.1:$port"
server_dll="src/Baton.Server/bin/Release/net10.0/Baton.Server.dll"
bench_dll="bench/Baton.Bench.Load/bin/Release/net10.0/Baton.Bench.Load.dll"

# dotnet build takes one project at a time.
dotnet build -c Release --nologo -v quiet src/Baton.Server
dotnet build -c Release --nologo -v quiet bench/Baton.Bench.Load

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "bench.sh: port $port is already in use; set BATON_BENCH_PORT" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/baton-bench.XXXXXX")"
server_pid=""

stop_server() {
    [[ -n "$server_pid" ]] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 150); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "bench.sh: server did not stop within 15 s of SIGTERM; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_server
    if [[ $rc -ne 0 && -s "$tmp/server.log" ]]; then
        echo "bench.sh: failed ($rc); last server log lines:" >&2
        tail -n 30 "$tmp/server.log" >&2 || true
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$tmp/data"
dotnet "$server_dll" --urls "$server_url" --Baton:DataDir="$tmp/data" ${BATON_SERVER_ARGS:-} >"$tmp/server.log" 2>&1 &
server_pid=$!

echo "bench.sh: server pid $server_pid on $server_url, data in $tmp/data; waiting for /health/ready"
ready=""
for _ in $(seq 1 300); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "bench.sh: server exited before it was ready" >&2
        exit 1
    fi
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$server_url/health/ready" || true)" == "200" ]]; then
        ready=1
        break
    fi
    sleep 0.1
done
if [[ -z "$ready" ]]; then
    echo "bench.sh: server not ready after 30 s" >&2
    exit 1
fi

# Every call needs a token. The load runs as an application, as a real client would: the first administrator
# (credentials from the file the server wrote) creates one with METADATA_MANAGER and APPLICATION_API and a key.
# The application then creates the workflows and secrets it uses, so it holds them as their creator.
api() { curl -sS --fail-with-body -H 'Content-Type: application/json' ${token:+-H "X-Authorization: $token"} "$@"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
token=""
token="$(api -X POST "$server_url/api/token" -d @<(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(json.dumps({"email": c["email"], "password": c["password"]}))' "$tmp/data/admin-credentials.json") | field token)"
app_id="$(api -X POST "$server_url/api/applications" -d '{"name":"bench"}' | field id)"
api -X POST "$server_url/api/applications/$app_id/roles/METADATA_MANAGER" >/dev/null
api -X POST "$server_url/api/applications/$app_id/roles/APPLICATION_API" >/dev/null
key="$(api -X POST "$server_url/api/applications/$app_id/accessKeys")"
key_id="$(field id <<<"$key")"
key_secret="$(field secret <<<"$key")"
echo "bench.sh: running as application $app_id (key $key_id)"

dotnet "$bench_dll" --server "$server_url" --server-pid "$server_pid" --key-id "$key_id" --key-secret "$key_secret" "$@"
