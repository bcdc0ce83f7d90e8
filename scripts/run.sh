#!/usr/bin/env bash
# Installs whatever is missing, builds the web client and the server, and runs Minutebook
# on the embedded redb store (./data by default). On an empty store it loads the demo meeting
# (--demo). Extra arguments go to `minutebook serve` (see `minutebook serve --help`),
# e.g. scripts/run.sh --listen 127.0.0.1:9000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-client.sh
echo "run: building the server (release)"
cargo build --release --locked -q -p minutebook-server
exec target/release/minutebook serve --web-dir client/dist --demo "$@"
