#!/usr/bin/env bash
# Idle connections benchmark: starts `minutebook serve` (BIN) on a fresh temp data dir
# with the connection caps raised, sets up an administrator, opens N idle authenticated
# WebSockets on one meeting and prints the server's RSS per connection.
# Usage: tests/interop/idle-connections.sh target/release/minutebook 10000
set -euo pipefail
BIN=$(realpath "$1"); N=$2
cd "$(dirname "$0")"
D=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$D"' EXIT
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$D/data" --web-dir /nonexistent \
  --max-connections $((N + 1000)) --max-connections-per-address $((N + 1000)) \
  > "$D/out" 2> "$D/err" &
PID=$!
for _ in $(seq 100); do grep -q "setup=" "$D/out" 2>/dev/null && break; sleep 0.2; done
ADDR=$(grep -o "running at http://[^/]*" "$D/out" | sed 's#.*http://##')
SETUP=$(grep -o "setup=[A-Za-z0-9_-]*" "$D/out" | head -1 | cut -d= -f2)
TOKEN=$(curl -s -X POST -H 'content-type: application/json' \
  -d "{\"token\":\"$SETUP\",\"name\":\"Bench\",\"want_token\":true}" "http://$ADDR/api/setup" |
  python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
node idle-connections.mjs "$ADDR" "$TOKEN" "$PID" "$N"
