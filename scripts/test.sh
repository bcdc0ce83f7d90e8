#!/usr/bin/env bash
# Runs the entire test suite: lints, native unit and integration tests, and the browser
# end-to-end tests in headless Chromium. Installs whatever is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
scripts/build-client.sh
# The JavaScript reference client (yjs + y-websocket) for the interop test.
if [ ! -d tests/interop/node_modules/y-websocket ] || [ tests/interop/package-lock.json -nt tests/interop/node_modules ]; then
  npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
fi

echo "test: formatting and lints"
cargo fmt --all -- --check
cargo clippy --locked -q --all-targets -- -D warnings
cargo clippy --locked -q -p minutebook-client --all-targets -- -D warnings

echo "test: building the server binary (used by the kill -9 tests)"
cargo build --locked -q -p minutebook-server

echo "test: native unit, integration and browser tests"
cargo test --locked -q -p minutebook-client
cargo test --locked -p minutebook-shared -p minutebook-server -p minutebook-tests --all-features
echo "test: all green"
