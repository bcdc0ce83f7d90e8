#!/bin/bash
# The durable-ack tail against the offered rate: 100 documents x 2 writers at 25, 50 and
# 100 Hz each (5,000, 10,000 and 20,000 updates/s), 3 runs each, rates alternating.
cd "$(dirname "$0")/../../.."
R=tests/bench-results/m8-final-build-2026-12-07
B="target/release/bench --quiet-below 0.3 --quiet-wait 15"
for i in 1 2 3; do
  for hz in 25 50 100; do
    $B fanout --docs 100 --clients 2 --writers 2 --rate $hz --seconds 15 --target minutebook \
      > $R/rate-${hz}hz-$i.md 2> $R/rate-${hz}hz-$i.stderr.log
  done
done
