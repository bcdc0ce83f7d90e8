#!/usr/bin/env bash
# Builds the browser client (client/) into client/dist/, which the server serves at `/`.
#
# Follows the verified recipe in the team notes (wasm-toolchain.md): the wasm32 standard
# library is built from source (-Zbuild-std) with Debian's Rust toolchain (/usr/bin/cargo,
# /usr/bin/rustc, sources from rust-web-src), linked with rust-lld from rustup's toolchain,
# then wasm-bindgen generates the JS glue. The wasm build uses its own target dir
# (target/wasm) so that it and the native (rustup) builds never rebuild each other.
# Debian's binaryen/wasm-opt is deliberately not used: it produces modules that crash.
#
# Idempotent; later runs are incremental. Usage: scripts/build-client.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

crate=minutebook_client
profile=wasm-release
target=wasm32-unknown-unknown
target_dir=target/wasm
dist=client/dist

# rust-lld ships with rustup's toolchain (rustup's rustc is first on PATH), not with
# Debian's rustc-web.
lld_dir="$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin"
if [ ! -x "$lld_dir/rust-lld" ]; then
  echo "build-client: rust-lld not found in $lld_dir (is rustup's toolchain installed?)" >&2
  exit 1
fi
wasm_bindgen="$(command -v wasm-bindgen || true)"
[ -n "$wasm_bindgen" ] || wasm_bindgen="$HOME/.cargo/bin/wasm-bindgen"

# Size (the bundle's budget is in BENCHMARKS.md, M6): `erase_components` makes leptos type-erase
# each component's view (measured: 688 -> 625 KB gzipped); shallow Debug output and no
# panic locations drop formatting code and strings (625 -> ~590 KB). Panic messages
# themselves are kept (console_error_panic_hook prints them).
rustflags="--cfg erase_components -Zfmt-debug=shallow -Zlocation-detail=none"

echo "build-client: compiling $crate for $target ($profile)"
PATH="/usr/bin:$PATH:$lld_dir" \
RUSTC=/usr/bin/rustc \
RUSTC_BOOTSTRAP=1 \
RUSTFLAGS="$rustflags" \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$lld_dir/rust-lld" \
  /usr/bin/cargo build -p minutebook-client \
    --target "$target" --profile "$profile" \
    -Zbuild-std=std,panic_abort --locked \
    --target-dir "$target_dir"

wasm="$target_dir/$target/$profile/$crate.wasm"
echo "build-client: generating JS bindings into $dist/"
staging="$target_dir/dist"
rm -rf "$staging"
mkdir -p "$staging"
# The name section (function names for stack traces) would make the module ~2.7x bigger.
"$wasm_bindgen" --target web --no-typescript \
  --remove-name-section --remove-producers-section \
  --out-dir "$staging" "$wasm"
cp client/index.html "$staging/index.html"
# Replace the bundle only once the new one is complete (a failed build keeps the old one).
rm -rf "$dist"
cp -r "$staging" "$dist"

raw=$(stat -c %s "$dist/${crate}_bg.wasm")
gz=$(gzip -9 -c "$dist/${crate}_bg.wasm" | wc -c)
js_raw=$(stat -c %s "$dist/$crate.js")
js_gz=$(gzip -9 -c "$dist/$crate.js" | wc -c)
echo "build-client: done: $dist/"
printf 'build-client: %-28s %9d bytes raw, %8d bytes gzipped\n' \
  "${crate}_bg.wasm" "$raw" "$gz" "$crate.js" "$js_raw" "$js_gz"
