#!/usr/bin/env bash
# Installs what Minutebook needs on a fresh Debian machine, skipping whatever is present:
#   - Debian's Rust (rustc-web, cargo-web, rust-web-src): builds the wasm32 std from source
#   - wasm-bindgen-cli, at exactly the version of the wasm-bindgen crate in Cargo.lock
#   - poppler-utils (pdftoppm, pdffonts, pdftotext): the PDF tests of minutebook-render
#     render every page to PNG and read the fonts and text back
#   - (with --browser) Debian's chromium + chromium-driver for the browser tests
# Idempotent: safe to run on every start.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

pkgs=()
[ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || pkgs+=(rustc-web cargo-web)
dpkg -s rust-web-src >/dev/null 2>&1 || pkgs+=(rust-web-src)
[ -x /usr/bin/pdftoppm ] && [ -x /usr/bin/pdffonts ] && [ -x /usr/bin/pdftotext ] || pkgs+=(poppler-utils)
if [ "$want_browser" = 1 ]; then
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
  [ -x /usr/bin/chromedriver ] || pkgs+=(chromium-driver)
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

# wasm-bindgen-cli must match the wasm-bindgen crate version exactly.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ -z "$wbg_version" ]; then
  echo "setup: cannot find the wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$wbg_version" ]; then
  echo "setup: installing wasm-bindgen-cli $wbg_version (takes several minutes once)"
  cargo install -q wasm-bindgen-cli --version "$wbg_version"
fi
