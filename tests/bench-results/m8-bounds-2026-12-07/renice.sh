#!/bin/bash
# Diagnostic for BENCHMARKS.md (M8, "Priority does not help either"): runs the
# 20,000 updates/s scenario once; with NICE > 0, renices the server's tokio threads
# (not its store writer) as soon as the server is up.
# Usage: renice.sh NICE OUTPUT.md [BENCH_BINARY]
set -u
cd "$(git rev-parse --show-toplevel)"
NICE=$1 OUT=$2 BIN=${3:-target/release/bench}
$BIN --quiet-below 0.3 --quiet-wait 15 fanout --docs 100 --clients 2 --writers 2 \
    --rate 100 --seconds 15 --target minutebook > "$OUT" 2>/dev/null &
BENCH=$!
if [ "$NICE" != 0 ]; then
    P=
    for _ in $(seq 1 200); do
        P=$(pgrep -n -x minutebook) && break
        sleep 0.1
    done
    sleep 0.5
    for t in /proc/"$P"/task/*; do
        [ "$(cat "$t/comm")" = tokio-rt-worker ] && renice -n "$NICE" -p "$(basename "$t")" >/dev/null
    done
fi
wait $BENCH
grep -E 'Durable-ack latency p99|Server CPU s per' "$OUT"
