#!/bin/bash
cd /work/main
R=tests/bench-results/m8-direct-write-2026-12-07
B="target/release/bench --quiet-below 0.3 --quiet-wait 15"
for i in 1 2 3 4 5 6; do
  $B fanout --server-bin /tmp/minutebook-26e258f --docs 1 --clients 200 --writers 2 --rate 10 --seconds 20 --target minutebook > $R/old-1x200-$i.md 2>/dev/null
  $B fanout --server-bin /tmp/minutebook-direct --docs 1 --clients 200 --writers 2 --rate 10 --seconds 20 --target minutebook > $R/new-1x200-$i.md 2>/dev/null
done
echo done > $R/done
