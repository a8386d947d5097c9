#!/usr/bin/env bash
# Idle memory of a fresh server: builds Baton.Server in Release, starts it on a temporary data folder, and prints
# its resident memory (VmRSS, MB) idle after start, right after N runs of the README's hello_http workflow (an HTTP
# call to the server's own health check and an INLINE), and idle again S seconds later; then stops it and removes
# the folder, also on failure or Ctrl+C.
#   usage: scripts/idle-memory.sh [RUNS (100)] [PARALLEL (1)] [IDLE_SECONDS (60)]
#   extra environment for the server passes through, e.g. DOTNET_gcServer=1 scripts/idle-memory.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-100}" parallel="${2:-1}" idle="${3:-60}"
dotnet build "$root/src/Baton.Server/Baton.Server.csproj" -c Release -nologo -clp:ErrorsOnly >/dev/null
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
folder="$(mktemp -d -t baton-idle-XXXXXX)"
dotnet "$root/src/Baton.Server/bin/Release/net10.0/Baton.Server.dll" --urls "$base" "--Baton:DataDir=$folder/data" >"$folder/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$folder"' EXIT
until curl -sf "$base/health/ready" >/dev/null; do kill -0 "$pid" || { cat "$folder/server.log"; exit 1; }; sleep 0.2; done
rss() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"; }

sleep 5
fresh="$(rss)"
credentials="$(python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); print(json.dumps({"email": c["email"], "password": c["password"]}))' "$folder/data/admin-credentials.json")"
token="$(curl -s -X POST "$base/api/token" -H 'Content-Type: application/json' -d "$credentials" \
         | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
curl -sf -o /dev/null -H "X-Authorization: $token" -X POST "$base/api/metadata/workflow" -H 'Content-Type: application/json' -d '{
  "name": "hello_http", "version": 1,
  "tasks": [
    { "name": "call", "taskReferenceName": "call", "type": "HTTP",
      "inputParameters": { "http_request": { "uri": "'"$base"'/health/live", "method": "GET" } } },
    { "name": "shout", "taskReferenceName": "shout", "type": "INLINE",
      "inputParameters": { "evaluatorType": "javascript", "status": "${call.output.response.body.status}",
                           "expression": "(function(){ return $.status + \" from the bench\"; })()" } } ] }'
seq 1 "$runs" | xargs -P "$parallel" -I@@ curl -s -o /dev/null -w "%{http_code}\n" -H "X-Authorization: $token" -X POST \
    "$base/api/workflow/execute/hello_http/1" -H 'Content-Type: application/json' -d '{"input": {}}' >"$folder/codes"
failed="$(grep -vc '^200$' "$folder/codes" || true)"
[ "$failed" = 0 ] || { echo "idle-memory.sh: $failed of $runs runs were not answered 200: $(sort "$folder/codes" | uniq -c | tr '\n' ' ')" >&2; exit 1; }
sleep 1
after="$(rss)"
sleep "$idle"
echo "idle after start: $fresh MB; after $runs runs ($parallel at a time): $after MB; idle ${idle} s later: $(rss) MB"
