#!/bin/bash
cd "$(dirname "$0")/../../.."
R=tests/bench-results/m8-final-build-2026-12-07
mkdir -p $R
B="target/release/bench --quiet-below 0.3 --quiet-wait 15"
t() { echo "$1 $(date -u +%H:%M:%S)" >> $R/timeline.txt; }
t start
$B compare --repeat 3 > $R/compare.md 2> $R/compare.stderr.log; t compare
$B fanout --docs 100 --clients 2 --writers 2 --rate 100 --seconds 15 --repeat 3 --target minutebook > $R/fanout-20k.md 2> $R/fanout-20k.stderr.log; t 20k
$B b4-stream --repeat 10 --target both > $R/b4-stream.md 2> $R/b4-stream.stderr.log; t b4
$B cold-load > $R/cold-load.md 2> $R/cold-load.stderr.log; t cold
$B public-page --repeat 3 > $R/public-page.md 2> $R/public-page.stderr.log; t page
$B sign-off --runs 5 > $R/sign-off.md 2> $R/sign-off.stderr.log; t signoff
target/release/crash-loop --cycles 100 --seed 20261208 > $R/crash-loop-100.txt 2>&1; t crash
tests/interop/idle-connections.sh target/release/minutebook 10000 > $R/idle-10000.txt 2>&1; t idle
$B browser --sessions 3 --scale 10 --repeat 3 --seconds 20 --reloads 2 > $R/browser-3.md 2> $R/browser-3.stderr.log; t browser3
$B browser --sessions 5 --scale 10 --repeat 3 --seconds 20 --reloads 2 > $R/browser-5.md 2> $R/browser-5.stderr.log; t browser5
$B compare --servers minutebook,relay,y-websocket --scenario 50x10x2x5,50x10x2x20,1x200x2x10 --repeat 3 > $R/compare-relay.md 2> $R/compare-relay.stderr.log; t compare-relay
t done
