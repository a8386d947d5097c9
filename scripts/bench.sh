#!/usr/bin/env bash
# Engine benchmark: builds Baton.Server and the load generator in Release, starts the server on a
# fresh temporary data folder, waits until it is ready, runs bench/Baton.Bench.Load against it
# (extra arguments pass through, e.g. --clients 64 --duration 20 --json out.json --secret-headers 3),
# then stops the server and removes the folder, also on failure or Ctrl+C.
#   --compare-auth     also build and start a baseline server without access control (compiled with
#                      -p:BatonBenchNoAuth=true; the shipped server has no such mode) and alternate the load
#                      between the two in one run: what authentication and authorization cost
#   --compare-build REV
#                      also build revision REV (a commit, a branch) in a temporary worktree and alternate the load
#                      between it and this checkout in one run (rounds of this, REV, REV, this): what a change
#                      costs, e.g. --compare-build main --secret-headers 1
#   --compare-postgres start a throwaway PostgreSQL (Debian's binaries, as scripts/test.sh) and compare the server on
#                      it (Baton:Storage:Provider=postgres) with the same build on SQLite, alternating in one run
#   --cluster          start a throwaway PostgreSQL and measure, in one run, one node on SQLite (the reference) and 1, 2
#                      and 3 nodes on PostgreSQL (a fresh database bench_nN for each node count, the nodes of one
#                      sharing it and one master key), in rounds of all four in order and in reverse; reports the
#                      medians and where the time goes per workflow (each node's CPU, PostgreSQL's, the load
#                      generator's, the rest of the machine, idle cores)
#   --kafka            start a Kafka-protocol broker (librdkafka's mock cluster, in the load generator's
#                      --mock-kafka mode) and the server with it, and compare a KAFKA node with a no-op one
#                      (--compare-kafka)
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

compare_auth=""
compare_build=""
compare_postgres=""
cluster=""
kafka=""
bench_args=()
expect_rev=""
for arg in "$@"; do
    if [[ -n "$expect_rev" ]]; then compare_build="$arg"; expect_rev=""; continue; fi
    case "$arg" in
        --compare-auth) compare_auth=1 ;;
        --compare-postgres) compare_postgres=1 ;;
        --cluster) cluster=1 ;;
        --kafka) kafka=1; bench_args+=(--compare-kafka) ;;
        --compare-build) expect_rev=1 ;;
        --compare-build=*) compare_build="${arg#--compare-build=}" ;;
        *) bench_args+=("$arg") ;;
    esac
done
[[ -z "$expect_rev" ]] || { echo "bench.sh: --compare-build needs a revision" >&2; exit 2; }
comparisons=0
for chosen in "$compare_auth" "$compare_build" "$compare_postgres" "$cluster"; do [[ -z "$chosen" ]] || comparisons=$((comparisons + 1)); done
[[ "$comparisons" -le 1 ]] || { echo "bench.sh: --compare-auth, --compare-build, --compare-postgres and --cluster exclude each other" >&2; exit 2; }

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "bench.sh: port $port is already in use; set BATON_BENCH_PORT" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/baton-bench.XXXXXX")"
pids=()

# shellcheck source=scripts/lib/throwaway-postgres.sh
source "$root/scripts/lib/throwaway-postgres.sh"
stop_servers() {
    local pid
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "bench.sh: server $pid did not stop within 15 s of SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_servers
    if [[ -d "$tmp/build-src" ]]; then git -C "$root" worktree remove --force "$tmp/build-src" >/dev/null 2>&1 || true; fi
    if [[ $rc -ne 0 ]]; then
        for log in "$tmp"/*.log; do
            [[ -s "$log" ]] || continue
            echo "bench.sh: failed ($rc); last lines of $(basename "$log"):" >&2
            tail -n 30 "$log" >&2 || true
        done
    fi
    throwaway_postgres_stop
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# dotnet build takes one project at a time. The baseline server is built first and copied aside, because the
# normal build that follows compiles Baton.Server again, without the switch, into the same folder.
if [[ -n "$compare_auth" ]]; then
    dotnet build -c Release --nologo -v quiet src/Baton.Server -p:BatonBenchNoAuth=true
    cp -r "$(dirname "$server_dll")" "$tmp/baseline-bin"
fi
if [[ -n "$compare_build" ]]; then
    git -C "$root" worktree add --detach "$tmp/build-src" "$compare_build" >/dev/null
    dotnet build -c Release --nologo -v quiet "$tmp/build-src/src/Baton.Server"
    cp -r "$tmp/build-src/src/Baton.Server/bin/Release/net10.0" "$tmp/baseline-bin"
fi
dotnet build -c Release --nologo -v quiet src/Baton.Server
dotnet build -c Release --nologo -v quiet bench/Baton.Bench.Load

# start_server NAME DLL URL [ARGS]: starts a server on a fresh data folder $tmp/NAME-data, logging to $tmp/NAME.log,
# and waits until /health/ready answers; its pid is the last of $pids.
start_server() {
    local name="$1" dll="$2" url="$3" extra="${4:-}" pid
    mkdir -p "$tmp/$name-data"
    # shellcheck disable=SC2086 # the arguments are words on purpose
    dotnet "$dll" --urls "$url" --Baton:DataDir="$tmp/$name-data" ${BATON_SERVER_ARGS:-} $extra >"$tmp/$name.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    echo "bench.sh: $name server pid $pid on $url, data in $tmp/$name-data; waiting for /health/ready"
    for _ in $(seq 1 300); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "bench.sh: $name server exited before it was ready" >&2
            exit 1
        fi
        if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url/health/ready" || true)" == "200" ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "bench.sh: $name server not ready after 30 s" >&2
    exit 1
}

if [[ -n "$kafka" ]]; then
    dotnet "$bench_dll" --mock-kafka >"$tmp/kafka.log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 1 100); do grep -q '^mock-kafka: ' "$tmp/kafka.log" 2>/dev/null && break; sleep 0.1; done
    broker="$(sed -n 's/^mock-kafka: //p' "$tmp/kafka.log")"
    [[ -n "$broker" ]] || { echo "bench.sh: the mock Kafka broker did not start" >&2; exit 1; }
    echo "bench.sh: mock Kafka broker on $broker"
    BATON_SERVER_ARGS="${BATON_SERVER_ARGS:-} --Baton:Kafka:BootstrapServers=$broker"
fi
server_extra=""
if [[ -n "$compare_postgres$cluster" ]]; then
    # The same throwaway server as scripts/test.sh. Six nodes (1 + 2 + 3) may each open a pool of 50 connections, beyond
    # the default max_connections of 100.
    throwaway_postgres_start max_connections=400
    echo "bench.sh: PostgreSQL on 127.0.0.1:$pg_port"
    server_extra="--Baton:Storage:Provider=postgres --Baton:Storage:Postgres:ConnectionString=$pg_connection"
fi
# Every call needs a token. The load runs as an application, as a real client would: the first administrator
# (credentials from the file the server wrote) creates one with METADATA_MANAGER and APPLICATION_API and a key.
# The application then creates the workflows and secrets it uses, so it holds them as their creator.
api() { curl -sS --fail-with-body -H 'Content-Type: application/json' ${token:+-H "X-Authorization: $token"} "$@"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# provision NAME URL: creates the application on the server whose data folder is $tmp/NAME-data; sets key_id, key_secret.
provision() {
    local name="$1" url="$2" app_id key
    token=""
    token="$(api -X POST "$url/api/token" -d @<(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(json.dumps({"email": c["email"], "password": c["password"]}))' "$tmp/$name-data/admin-credentials.json") | field token)"
    app_id="$(api -X POST "$url/api/applications" -d '{"name":"bench"}' | field id)"
    api -X POST "$url/api/applications/$app_id/roles/METADATA_MANAGER" >/dev/null
    api -X POST "$url/api/applications/$app_id/roles/APPLICATION_API" >/dev/null
    key="$(api -X POST "$url/api/applications/$app_id/accessKeys")"
    key_id="$(field id <<<"$key")"
    key_secret="$(field secret <<<"$key")"
    echo "bench.sh: $name runs as application $app_id (key $key_id)"
}

if [[ -n "$cluster" ]]; then
    # One configuration a line (name, storage, URLs, pids, key), turned into the load generator's JSON at the end.
    targets="$tmp/cluster-targets.txt"
    : >"$targets"
    start_server sqlite-1 "$server_dll" "$server_url"
    provision sqlite-1 "$server_url"
    echo "sqlite-1 sqlite $server_url ${pids[-1]} $key_id $key_secret" >>"$targets"
    # The nodes of a cluster share the master key (the keyring in the database is sealed with it); one a run.
    master_key="$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')"
    for n in 1 2 3; do
        # A fresh database per node count, so that one configuration's runs do not pile up in another's tables.
        "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U baton -d postgres -qc "CREATE DATABASE bench_n$n" >/dev/null
        node_args="--Baton:Storage:Provider=postgres --Baton:Storage:Postgres:ConnectionString=Host=127.0.0.1;Port=$pg_port;Username=baton;Database=bench_n$n"
        node_args+=" --Baton:Storage:Postgres:NodeLeaseSeconds=10 --Baton:Secrets:MasterKey=$master_key"
        urls="" node_pids=""
        for i in $(seq 1 "$n"); do
            url="http://127.0.0.1:$(pick_port)"
            start_server "pg$n-node$i" "$server_dll" "$url" "$node_args"
            urls+="${urls:+,}$url"
            node_pids+="${node_pids:+,}${pids[-1]}"
            # The first node of a database creates the first administrator (and writes its credentials); the
            # application is made there before the others start, so each of them knows it from its first load.
            [[ "$i" -gt 1 ]] || provision "pg$n-node1" "$url"
        done
        echo "pg-$n postgres $urls $node_pids $key_id $key_secret" >>"$targets"
    done
    python3 - "$targets" >"$tmp/cluster-targets.json" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    name, storage, urls, node_pids, key_id, key_secret = line.split()
    out.append({"name": name, "storage": storage, "servers": urls.split(","),
                "pids": [int(p) for p in node_pids.split(",")], "keyId": key_id, "keySecret": key_secret})
print(json.dumps(out))
PY
    pg_pid="$(head -n 1 "$pg_dir/data/postmaster.pid")"
    echo "bench.sh: load average before the load: $(cut -d ' ' -f 1-3 /proc/loadavg)"
    status=0
    dotnet "$bench_dll" --cluster-targets "$tmp/cluster-targets.json" --postgres-pid "$pg_pid" ${bench_args[@]+"${bench_args[@]}"} || status=$?
    echo "bench.sh: load average after the load: $(cut -d ' ' -f 1-3 /proc/loadavg)"
    exit "$status"
fi

start_server baton "$server_dll" "$server_url" "$server_extra"
server_pid="${pids[-1]}"
baseline_dll="$tmp/baseline-bin/Baton.Server.dll"
[[ -z "$compare_postgres" ]] || baseline_dll="$server_dll" # this very build, on SQLite
if [[ -n "$compare_auth$compare_build$compare_postgres" ]]; then
    baseline_url="http://127.0.0.1:$(pick_port)"
    start_server baseline "$baseline_dll" "$baseline_url"
    bench_args+=(--baseline-server "$baseline_url" --baseline-pid "${pids[-1]}")
fi

if [[ -n "$compare_build$compare_postgres" ]]; then
    provision baseline "$baseline_url"
    bench_args+=(--baseline-key-id "$key_id" --baseline-key-secret "$key_secret")
fi
provision baton "$server_url"

dotnet "$bench_dll" --server "$server_url" --server-pid "$server_pid" --key-id "$key_id" --key-secret "$key_secret" ${bench_args[@]+"${bench_args[@]}"}
