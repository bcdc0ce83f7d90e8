#!/usr/bin/env bash
# Runs the entire test suite: lints, native unit and integration tests, and the browser
# end-to-end tests in headless Chromium. Installs whatever is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
# A whole-suite run builds everything once; incremental caches would only add gigabytes.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
echo "test: free disk space before building: $(df -h --output=avail . | tail -1 | tr -d ' ')"
scripts/setup.sh --browser
scripts/build-client.sh
# The JavaScript reference client (yjs + y-websocket) for the interop test.
if [ ! -d tests/interop/node_modules/y-websocket ] || [ tests/interop/package-lock.json -nt tests/interop/node_modules ]; then
  npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
fi

echo "test: formatting and lints"
cargo fmt --all -- --check
cargo clippy --locked -q --workspace --all-targets --all-features -- -D warnings

echo "test: building the server binary (the kill -9 tests run it as a process)"
cargo build --locked -q --workspace --all-features --bins

echo "test: unit, integration, interop and browser tests"
cargo test --locked --workspace --all-features
echo "test: free disk space after building: $(df -h --output=avail . | tail -1 | tr -d ' ')"
echo "test: all green"
